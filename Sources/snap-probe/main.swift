print("snap-probe")
