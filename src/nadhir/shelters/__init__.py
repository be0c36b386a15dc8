"""The shelters room: where the displaced live, and what each site lacks.

A register of displacement sites with IOM DTM's fields, their gaps against Sphere's minimum
standards, and the warned sites with advice for tents and open ground. Independent of the health
room; it reads the sites and the warning pipeline's records and keeps its own.
"""
