print("recbench")
