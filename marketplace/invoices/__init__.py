"""My invoices: a marketplace user's invoices from every breeder whose client record is linked to them."""
