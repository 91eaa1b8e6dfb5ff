import sys
from pathlib import Path

# flowkit (tests/flows) builds the flow content these checks evaluate.
sys.path.append(str(Path(__file__).resolve().parents[1] / "flows"))
