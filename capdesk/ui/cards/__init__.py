"""Card numbers: the batch panel, the history table, barcodes and labels, and their flow."""
