print("threepay-sandbox")
