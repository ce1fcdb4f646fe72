"""SentencePiece tokenizer trainer and Tokenizer (being written)."""

# Fixed special ids, the same for every tokenizer minisora trains.
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
MASK_ID, CLS_ID, SEP_ID, USER_ID, ASSISTANT_ID = 4, 5, 6, 7, 8
