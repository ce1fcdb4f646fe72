"""Reference solutions of chapter 5's exercises."""


def gpt_params(vocab_size, d_model, n_layers, d_ff, max_len):
    V, C, N, F, T = vocab_size, d_model, n_layers, d_ff, max_len
    embeddings = V * C + T * C  # tokens (also the head: tied) + learned positions
    attention = C * 3 * C + 3 * C + C * C + C  # fused W_q|W_k|W_v and W_o, with biases
    mlp = C * F + F + F * C + C
    layer_norms = 2 * 2 * C  # two per block, a gain and a bias each
    return embeddings + N * (attention + mlp + layer_norms) + 2 * C  # + the final LayerNorm


def kv_cache_bytes(n_layers, d_model, slots, bytes_per_number):
    return 2 * n_layers * slots * d_model * bytes_per_number  # a key and a value of width C per slot and layer
