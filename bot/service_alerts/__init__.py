"""Service alerts: what Communications tell tenants while something is wrong (the
policy's out-of-hours updates: "emergency information, bad weather effecting our
services").

An alert (alerts.py) names the services it affects (heating, water, repairs, offices),
the areas (postcode districts or sectors, or everywhere) and when it starts and ends.
Staff with the Communications role create it in the console and may publish it as a
post on the Facebook page and X, through the outbox (publishing.py). While it is live
the assistant mentions it where it is relevant (actions/service_alerts.py): a repair
report about an affected service from a tenant in an affected area, the opening-hours
answer when offices are affected, and the first reply of a private conversation when
it is urgent for everyone. It never mentions one that has ended, nor to a tenant
outside its areas. No Rasa here.
"""
