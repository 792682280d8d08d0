SELECT * FROM src_stockpiles
