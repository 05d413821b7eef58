"""segment-analytics-python 2.x: the scenario (see sdk_scenario.py), then flush."""

from segment.analytics import Client

from sdk_scenario import run

run("segment-python", Client)
