"""UK text shapes shared by the detector (P5) and the identity answers (P4): `uk`."""
