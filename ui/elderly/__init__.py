"""Programme 1 (特殊困难老年人探访关爱): roster, resident page, visit form, work lists, printing."""
