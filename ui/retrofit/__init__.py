"""Programme 2 screens (适老化改造): case list, case page, assessment editor, approval queue."""
