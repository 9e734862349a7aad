"""A client's invoices and payments at one breeder."""
