"""The 儿童关爱 screens (programme 3): register, child page, case page, forms, work lists."""
