"""The simulated AWS estate: a Connect simulator of our own + moto for every other service.

Public names (stable): ``SimulatedEstate``, ``load_world``, ``demo_world``, ``bench_world``,
``World``, ``ConnectSimulator``, ``Fault``. See docs/simulator.md.
"""

from connectguard.simulator.connect_server import ConnectSimulator, Fault
from connectguard.simulator.estate import SimulatedEstate
from connectguard.simulator.world import World, load_world
from connectguard.simulator.worlds import bench_world, demo_world

__all__ = ["ConnectSimulator", "Fault", "SimulatedEstate", "World", "bench_world", "demo_world", "load_world"]
