::a b
