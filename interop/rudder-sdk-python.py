"""rudder-sdk-python 2.x: the scenario (see sdk_scenario.py), then flush."""

from rudderstack.analytics import Client

from sdk_scenario import run

run("rudder-python", Client)
