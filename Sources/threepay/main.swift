print("threepay")
