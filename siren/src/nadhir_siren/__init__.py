"""The siren controller program (``nadhir-siren``): runs on the board at a siren (Raspberry Pi class).

:mod:`~nadhir_siren.protocol` is the wire protocol shared with the product (the one module the
product imports); :mod:`~nadhir_siren.controller` is the MQTT side of the program;
:mod:`~nadhir_siren.outputs` drives the relay and the audio output; :mod:`~nadhir_siren.cli`
parses the command line. Standard library and paho-mqtt only, so that the board installs
nothing else (``pip install ./siren``).
"""
