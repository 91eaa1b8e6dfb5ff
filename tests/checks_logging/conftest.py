import sys
from pathlib import Path

# flowkit (tests/flows) builds the flow content these checks evaluate.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "flows"))
