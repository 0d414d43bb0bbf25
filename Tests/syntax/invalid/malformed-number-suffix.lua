x = 12LLx
