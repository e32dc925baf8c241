"""Reading the district's roster workbook and importing it into the register."""
