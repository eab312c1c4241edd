"""Spreadsheets in and out: readers for .xlsx/.xls/.csv rosters and the one .xlsx list writer."""
