print("edgec: not built yet")
