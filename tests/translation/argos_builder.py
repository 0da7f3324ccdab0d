"""Builds tiny but genuine argostranslate packages for tests: a hand-wired CTranslate2 Transformer.

The model translates word by word with a lexicon: the decoder's cross-attention looks at the source
position equal to its own step, copies that source word and the output projection maps it through
the lexicon. Words outside the vocabulary come out as <unk> and CTranslate2's replace_unknowns
(which argostranslate turns on) copies the source word, as real models do with names.

The weights are set so every layer norm sees inputs of one fixed mean and variance (a one-hot token
plus a one-hot position), which makes each layer an exact linear map; see build_ctranslate2_model.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

SPECIALS = ("<unk>", "<s>", "</s>")
MAX_POSITIONS = 64  # longest sentence in tokens the tiny model can translate
LAYER_NORM_EPSILON = 1e-6


def build_argos_package(
    out_dir: Path,
    *,
    from_code: str,
    to_code: str,
    lexicon: Mapping[str, str],
    extra_words: Iterable[str] = (),
    from_name: str | None = None,
    to_name: str | None = None,
    package_version: str = "1.0",
    extra_files: Mapping[str, bytes] | None = None,
) -> Path:
    """Write `<from>_<to>-<version>.argosmodel` into out_dir and return its path.

    lexicon maps whitespace-separated source words to target words; every other word in the
    vocabulary (extra_words, the lexicon's targets) is copied unchanged. extra_files are written
    into the package folder by relative path (e.g. a bundled "stanza/resources.json").
    """
    import ctranslate2  # noqa: F401  (fail early with a clear ImportError)

    out_dir.mkdir(parents=True, exist_ok=True)
    words = _vocabulary_words(lexicon, extra_words)
    package_name = f"translate-{from_code}_{to_code}-{package_version.replace('.', '_')}"
    archive = out_dir / f"{from_code}_{to_code}-{package_version}.argosmodel"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / package_name
        root.mkdir()
        pieces = train_word_sentencepiece(words, root / "sentencepiece.model")
        mapping = {f"\u2581{source}": f"\u2581{target}" for source, target in lexicon.items()}
        build_ctranslate2_model(pieces, mapping, root / "model")
        metadata = {
            "package_version": package_version,
            "argos_version": "1.11.0",
            "from_code": from_code,
            "from_name": from_name or from_code,
            "to_code": to_code,
            "to_name": to_name or to_code,
            "type": "translate",
            "links": [],
        }
        (root / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
        (root / "README.md").write_text(f"Test package {from_code}->{to_code}\n", encoding="utf-8")
        for relative, content in (extra_files or {}).items():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_bytes(content)
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(root.rglob("*")):
                zf.write(path, path.relative_to(Path(tmp)).as_posix())
    return archive


def _vocabulary_words(lexicon: Mapping[str, str], extra_words: Iterable[str]) -> list[str]:
    words: dict[str, None] = {}
    for word in [*lexicon.keys(), *lexicon.values(), *extra_words]:
        if not word or re.search(r"\s", word):
            raise ValueError(f"lexicon entries must be single words: {word!r}")
        words[word] = None
    return list(words)


def train_word_sentencepiece(words: list[str], model_path: Path) -> list[str]:
    """Train a word-level SentencePiece model whose vocabulary is exactly `words`; return its
    pieces."""
    import sentencepiece as spm

    # Each word on its own line, repeated so the trainer keeps all of them.
    corpus = [word for word in words for _ in range(3)]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus),
        model_writer=model,
        model_type="word",
        vocab_size=len(words) + len(SPECIALS),
        hard_vocab_limit=False,
        character_coverage=1.0,
        normalization_rule_name="identity",
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        minloglevel=2,
    )
    model_path.write_bytes(model.getvalue())
    processor = spm.SentencePieceProcessor(model_file=str(model_path))
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    if list(pieces[: len(SPECIALS)]) != list(SPECIALS):
        raise RuntimeError(f"unexpected special pieces {pieces[:3]}")
    return pieces


def _layer_norm(spec, dim: int, ones: int) -> None:  # type: ignore[no-untyped-def]
    """gamma=1 and beta=mean/std for inputs with `ones` entries of 1: LN(x) becomes x/std
    exactly."""
    mean = ones / dim
    std = float(np.sqrt(ones / dim - mean**2 + LAYER_NORM_EPSILON))
    spec.gamma = np.ones(dim, dtype=np.float32)
    spec.beta = np.full(dim, mean / std, dtype=np.float32)


def _std(dim: int, ones: int) -> float:
    mean = ones / dim
    return float(np.sqrt(ones / dim - mean**2 + LAYER_NORM_EPSILON))


def _silence(attention, dim: int, fused: int) -> None:  # type: ignore[no-untyped-def]
    """An attention or feed-forward block whose output is zero, so the residual passes unchanged."""
    attention.linear[0].weight = np.zeros((fused * dim, dim), dtype=np.float32)
    attention.linear[0].bias = np.zeros(fused * dim, dtype=np.float32)
    attention.linear[1].weight = np.zeros((dim, dim), dtype=np.float32)
    attention.linear[1].bias = np.zeros(dim, dtype=np.float32)


def _silence_ffn(ffn, dim: int, ones: int, hidden: int = 4) -> None:  # type: ignore[no-untyped-def]
    _layer_norm(ffn.layer_norm, dim, ones)
    ffn.linear_0.weight = np.zeros((hidden, dim), dtype=np.float32)
    ffn.linear_0.bias = np.zeros(hidden, dtype=np.float32)
    ffn.linear_1.weight = np.zeros((dim, hidden), dtype=np.float32)
    ffn.linear_1.bias = np.zeros(dim, dtype=np.float32)


def build_ctranslate2_model(pieces: list[str], mapping: Mapping[str, str], model_dir: Path) -> None:
    """Write a one-layer, one-head CTranslate2 Transformer that maps piece i at position t to
    mapping[i].

    Residual layout (D = 2V + P): [token one-hot V | position one-hot P | copied source token V].
    """
    from ctranslate2.specs import transformer_spec

    vocab = len(pieces)
    positions = MAX_POSITIONS
    dim = 2 * vocab + positions
    pos0, copy0 = vocab, vocab + positions
    index = {piece: i for i, piece in enumerate(pieces)}
    target_of = np.arange(vocab)
    for source, target in mapping.items():
        target_of[index[source]] = index[target]

    spec = transformer_spec.TransformerSpec.from_config(1, 1)
    spec.config.add_source_eos = True  # the copied </s> at the last position ends the output
    spec.config.layer_norm_epsilon = LAYER_NORM_EPSILON

    embeddings = np.zeros((vocab, dim), dtype=np.float32)
    embeddings[np.arange(vocab), np.arange(vocab)] = 1.0
    position_encodings = np.zeros((positions, dim), dtype=np.float32)
    position_encodings[np.arange(positions), pos0 + np.arange(positions)] = 1.0

    # Encoder: one token + one position = two ones in every input vector; the layer adds nothing.
    encoder = spec.encoder
    encoder.scale_embeddings = False
    encoder.embeddings[0].weight = embeddings
    encoder.position_encodings.encodings = position_encodings
    layer = encoder.layer[0]
    _layer_norm(layer.self_attention.layer_norm, dim, 2)
    _silence(layer.self_attention, dim, fused=3)
    _silence_ffn(layer.ffn, dim, 2)
    _layer_norm(encoder.layer_norm, dim, 2)  # encoder output: x / std2

    std2, std3 = _std(dim, 2), _std(dim, 3)
    decoder = spec.decoder
    decoder.scale_embeddings = False
    decoder.embeddings.weight = embeddings.copy()
    decoder.position_encodings.encodings = position_encodings.copy()
    layer = decoder.layer[0]
    _layer_norm(layer.self_attention.layer_norm, dim, 2)
    _silence(layer.self_attention, dim, fused=3)

    # Cross-attention: query = own position, key = source position, value = source token.
    cross = layer.attention
    _layer_norm(cross.layer_norm, dim, 2)
    sharpness = 5.0  # logit gap s*sqrt(D)/2, far above what softmax needs to be one-hot
    query = np.zeros((dim, dim), dtype=np.float32)
    query[pos0 + np.arange(positions), pos0 + np.arange(positions)] = sharpness
    key_value = np.zeros((2 * dim, dim), dtype=np.float32)
    key_value[pos0 + np.arange(positions), pos0 + np.arange(positions)] = 1.0
    key_value[dim + copy0 + np.arange(vocab), np.arange(vocab)] = 1.0
    output = np.zeros((dim, dim), dtype=np.float32)
    output[copy0 + np.arange(vocab), copy0 + np.arange(vocab)] = std2  # undo the encoder's 1/std
    cross.linear[0].weight = query
    cross.linear[0].bias = np.zeros(dim, dtype=np.float32)
    cross.linear[1].weight = key_value
    cross.linear[1].bias = np.zeros(2 * dim, dtype=np.float32)
    cross.linear[2].weight = output
    cross.linear[2].bias = np.zeros(dim, dtype=np.float32)

    # After cross-attention the residual holds three ones: token, position, copied source token.
    _silence_ffn(layer.ffn, dim, 3)
    _layer_norm(decoder.layer_norm, dim, 3)
    projection = np.zeros((vocab, dim), dtype=np.float32)
    projection[target_of, copy0 + np.arange(vocab)] = 50.0 * std3  # winning logit 50, others 0
    decoder.projection.weight = projection
    decoder.projection.bias = np.zeros(vocab, dtype=np.float32)

    spec.register_source_vocabulary(pieces)
    spec.register_target_vocabulary(pieces)
    spec.validate()
    spec.optimize(quantization=None)
    model_dir.mkdir(parents=True, exist_ok=True)
    spec.save(str(model_dir))
