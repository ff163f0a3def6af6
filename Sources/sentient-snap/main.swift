print("sentient-snap")
