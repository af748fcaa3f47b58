"""Neural networks from scratch: :mod:`.attention` (softmax, masks, scaled dot-product and multi-head
attention)."""
