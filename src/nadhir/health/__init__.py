"""The health room: the record that sends help.

What each health facility can still do (status with HeRAMS' codes), the register of attacks on
health care (WHO SSA's fields and certainty rules), and the surveillance of mothers' and
newborns' outcomes. It sits beside the warning pipeline, not in it: it reads what the pipeline
knows (sites, impacts, alert episodes) and keeps its own records in the store's database.
"""
