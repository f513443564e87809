"""The library's own GGUF metadata reader (``rope_sym.models.gguf_config.read_metadata``) against the gguf
package's ``GGUFReader``, the reader it replaced, kept here only as the oracle.

Every GGUF the tests can reach is read both ways: the packaged SmolLM2 and Gemma 3 270M files, and small files
written with ``gguf.GGUFWriter`` covering every value type (ggml ``docs/gguf.md``: u8, i8, u16, i16, u32, i32, f32,
bool, string, array, u64, i64, f64), arrays of each, nested arrays, ``rope_freqs.weight`` as F32 and F16, both byte
orders, versions 2 and 3 and a custom alignment. Two differences are deliberate and asserted as such: arrays longer
than ``MAX_KEPT_ARRAY`` outside the tokenizer are skipped, and nested arrays stay nested (``GGUFReader`` flattens
them, a FIXME in gguf-py). Truncated and corrupt files give one-line ``GgufError``s.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rope_sym.errors import RopeSymError
from rope_sym.models.gguf_config import MAX_KEPT_ARRAY, GgufError, gguf_hf_config, read_metadata

gguf = pytest.importorskip("gguf")
np = pytest.importorskip("numpy")

VOCABULARY_KEYS_KEPT = ("tokenizer.ggml.model", "tokenizer.ggml.pre")


def oracle_read(path: Path | str) -> tuple[dict[str, Any], dict[str, list[float]]]:
    """What ``read_metadata`` returned when it was built on ``gguf.GGUFReader`` (the code it replaced)."""
    reader = gguf.GGUFReader(str(path))
    meta: dict[str, Any] = {}
    for key, field in reader.fields.items():
        if key.startswith("tokenizer.ggml.") and key not in VOCABULARY_KEYS_KEPT:
            continue
        try:
            meta[key] = field.contents()
        except Exception:
            continue
    tensors = {t.name: [float(x) for x in np.asarray(t.data, dtype=np.float64).ravel()]
               for t in reader.tensors if t.name == "rope_freqs.weight"}
    return meta, tensors


def flattened(value: Any) -> Any:
    """A nested list as ``GGUFReader.contents`` returns it: its leaves in order."""
    if isinstance(value, list) and any(isinstance(item, list) for item in value):
        return [leaf for item in value for leaf in flattened(item)]
    return value


def assert_same_as_oracle(path: Path | str, skipped: tuple[str, ...] = (), nested: tuple[str, ...] = ()) -> None:
    meta, tensors = read_metadata(path)
    old_meta, old_tensors = oracle_read(path)
    assert tensors == old_tensors
    for key in skipped:  # longer than MAX_KEPT_ARRAY: present for the oracle, skipped by the reader
        assert key not in meta and len(old_meta.pop(key)) > MAX_KEPT_ARRAY
    for key in nested:
        assert meta[key] != old_meta[key] and flattened(meta[key]) == old_meta[key]
        meta[key] = flattened(meta[key])
    assert meta == old_meta
    assert list(meta) == list(old_meta)  # file order too
    for key, value in meta.items():  # same Python types (bool is not int, float is not int)
        assert type(value) is type(old_meta[key]), key


def packaged(name: str) -> Path:
    from rope_sym.models.packages import PACKAGED_MODELS, packaged_file

    try:
        return packaged_file(PACKAGED_MODELS[name])
    except RopeSymError as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("name", ["smollm2-135m", "gemma3-270m"])
def test_packaged_models_read_as_the_gguf_package_reads_them(name: str) -> None:
    path = packaged(name)
    assert_same_as_oracle(path)
    meta, _ = read_metadata(path)
    assert any(key.startswith("tokenizer.ggml.") for key in gguf.GGUFReader(str(path)).fields)
    assert not [key for key in meta if key.startswith("tokenizer.ggml.") and key not in VOCABULARY_KEYS_KEPT]


EVERY_TYPE: dict[str, tuple[str, Any]] = {
    # key: (GGUFWriter method, value); extremes of each integer type, floats exact in float32
    "t.u8": ("add_uint8", 255), "t.i8": ("add_int8", -128), "t.u16": ("add_uint16", 65535),
    "t.i16": ("add_int16", -32768), "t.u32": ("add_uint32", 2**32 - 1), "t.i32": ("add_int32", -(2**31)),
    "t.f32": ("add_float32", -1.5e-3), "t.bool_true": ("add_bool", True), "t.bool_false": ("add_bool", False),
    "t.string": ("add_string", "Grüße, 世界"),
    "t.u64": ("add_uint64", 2**64 - 1), "t.i64": ("add_int64", -(2**63)), "t.f64": ("add_float64", 1 / 3),
    "t.int_array": ("add_array", [1, -2, 3]), "t.float_array": ("add_array", [0.5, -2.25, 1e30]),
    "t.bool_array": ("add_array", [True, False, True]), "t.string_array": ("add_array", ["a", "", "ü"]),
    "t.bytes_array": ("add_array", b"\x00\xff\x10"),
}


def write_gguf(path: Path, *, rope: Any = None, extra: dict[str, tuple[str, Any]] | None = None,
               endianess: Any = None, alignment: int | None = None, vocabulary: int = 300,
               other_tensor_last: bool = False) -> Path:
    kwargs = {} if endianess is None else {"endianess": endianess}
    writer = gguf.GGUFWriter(str(path), "llama", **kwargs)
    if alignment is not None:
        writer.add_custom_alignment(alignment)
    writer.add_name("synthetic")
    writer.add_rope_freq_base(5e5)
    writer.add_context_length(8192)
    for key, (method, value) in {**EVERY_TYPE, **(extra or {})}.items():
        getattr(writer, method)(key, value)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    writer.add_token_list([f"tok{i}" for i in range(vocabulary)])
    writer.add_token_scores([float(-i) for i in range(vocabulary)])
    writer.add_token_types([1] * vocabulary)
    writer.add_bos_token_id(1)
    other = np.arange(12, dtype=np.float32).reshape(3, 4)
    if not other_tensor_last:
        writer.add_tensor("token_embd.weight", other)
    if rope is not None:
        writer.add_tensor("rope_freqs.weight", rope)
    if other_tensor_last:
        writer.add_tensor("token_embd.weight", other)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


DIVISORS = [1.0, 1.0, 1.5, 2.75, 8.0, 8.0, 8.0, 8.0]


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_every_value_type_and_the_rope_tensor(tmp_path: Path, dtype: str) -> None:
    path = write_gguf(tmp_path / "every.gguf", rope=np.array(DIVISORS, dtype=dtype))
    assert_same_as_oracle(path)
    meta, tensors = read_metadata(path)
    assert tensors == {"rope_freqs.weight": DIVISORS}  # exact in both float16 and float32
    for key, (_, value) in EVERY_TYPE.items():
        expected = list(value) if isinstance(value, bytes) else value
        if key == "t.f32":
            expected = struct.unpack("<f", struct.pack("<f", value))[0]
        elif key == "t.float_array":
            expected = [struct.unpack("<f", struct.pack("<f", v))[0] for v in value]
        assert meta[key] == expected, key
    assert meta["GGUF.version"] == 3 and meta["GGUF.tensor_count"] == 2
    assert meta["tokenizer.ggml.model"] == "gpt2" and "tokenizer.ggml.tokens" not in meta


def test_no_rope_tensor_and_rope_tensor_after_another(tmp_path: Path) -> None:
    assert read_metadata(write_gguf(tmp_path / "none.gguf"))[1] == {}
    assert_same_as_oracle(tmp_path / "none.gguf")
    path = write_gguf(tmp_path / "last.gguf", rope=np.array(DIVISORS, dtype=np.float32), other_tensor_last=True)
    assert read_metadata(path)[1] == {"rope_freqs.weight": DIVISORS}
    assert_same_as_oracle(path)


def test_big_endian_file(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "big.gguf", rope=np.array(DIVISORS, dtype=np.float32),
                      endianess=gguf.GGUFEndian.BIG)
    assert path.read_bytes()[4:8] == b"\x00\x00\x00\x03"
    assert_same_as_oracle(path)
    assert read_metadata(path)[1] == {"rope_freqs.weight": DIVISORS}


def test_version_2_file(tmp_path: Path) -> None:
    # versions 2 and 3 share the layout (3 only allowed big-endian files), so a v3 file relabelled is a v2 file
    path = write_gguf(tmp_path / "v2.gguf", rope=np.array(DIVISORS, dtype=np.float32))
    data = bytearray(path.read_bytes())
    data[4:8] = struct.pack("<I", 2)
    path.write_bytes(bytes(data))
    assert_same_as_oracle(path)
    assert read_metadata(path)[0]["GGUF.version"] == 2


@pytest.mark.parametrize("alignment", [8, 64, 256])
def test_custom_alignment(tmp_path: Path, alignment: int) -> None:
    path = write_gguf(tmp_path / "aligned.gguf", rope=np.array(DIVISORS, dtype=np.float32), alignment=alignment)
    assert gguf.GGUFReader(str(path)).alignment == alignment
    assert_same_as_oracle(path)


def test_nested_arrays_stay_nested(tmp_path: Path) -> None:
    extra = {"t.nested": ("add_array", [[1, 2], [3, 4, 5]]), "t.nested_strings": ("add_array", [["a"], ["b", "c"]]),
             "t.deep": ("add_array", [[[1.5], [2.5, 3.5]], [[4.5]]])}
    path = write_gguf(tmp_path / "nested.gguf", extra=extra)
    assert_same_as_oracle(path, nested=tuple(extra))
    meta, _ = read_metadata(path)
    assert meta["t.nested"] == [[1, 2], [3, 4, 5]] and meta["t.nested_strings"] == [["a"], ["b", "c"]]
    assert meta["t.deep"] == [[[1.5], [2.5, 3.5]], [[4.5]]]


def test_long_arrays_are_skipped_and_short_ones_kept(tmp_path: Path) -> None:
    extra = {"t.long_ints": ("add_array", list(range(MAX_KEPT_ARRAY + 1))),
             "t.long_strings": ("add_array", [str(i) for i in range(MAX_KEPT_ARRAY + 1)]),
             "t.longest_kept": ("add_array", list(range(MAX_KEPT_ARRAY))),
             "t.after": ("add_uint32", 7)}  # read correctly after the skipped ones
    path = write_gguf(tmp_path / "long.gguf", extra=extra, vocabulary=50_000,
                      rope=np.array(DIVISORS, dtype=np.float32))
    assert_same_as_oracle(path, skipped=("t.long_ints", "t.long_strings"))
    meta, tensors = read_metadata(path)
    assert meta["t.longest_kept"] == list(range(MAX_KEPT_ARRAY)) and meta["t.after"] == 7
    assert tensors == {"rope_freqs.weight": DIVISORS}


SCALARS = st.one_of(
    st.tuples(st.just("add_uint8"), st.integers(0, 2**8 - 1)),
    st.tuples(st.just("add_int8"), st.integers(-(2**7), 2**7 - 1)),
    st.tuples(st.just("add_uint16"), st.integers(0, 2**16 - 1)),
    st.tuples(st.just("add_int16"), st.integers(-(2**15), 2**15 - 1)),
    st.tuples(st.just("add_uint32"), st.integers(0, 2**32 - 1)),
    st.tuples(st.just("add_int32"), st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.just("add_uint64"), st.integers(0, 2**64 - 1)),
    st.tuples(st.just("add_int64"), st.integers(-(2**63), 2**63 - 1)),
    st.tuples(st.just("add_float32"), st.floats(width=32, allow_nan=False)),
    st.tuples(st.just("add_float64"), st.floats(allow_nan=False)),
    st.tuples(st.just("add_bool"), st.booleans()), st.tuples(st.just("add_string"), st.text(max_size=20)),
    st.tuples(st.just("add_array"), st.lists(st.integers(-(2**31), 2**31 - 1), min_size=1, max_size=20)),
    st.tuples(st.just("add_array"), st.lists(st.floats(width=32, allow_nan=False), min_size=1, max_size=20)),
    st.tuples(st.just("add_array"), st.lists(st.text(max_size=8), min_size=1, max_size=20)),
)


@given(st.dictionaries(st.text("abcdefgh.", min_size=1, max_size=10).map(lambda k: "h." + k), SCALARS, max_size=12),
       st.lists(st.floats(0.25, 64.0, width=16), min_size=1, max_size=16))
def test_random_metadata_reads_as_the_oracle_reads_it(tmp_path_factory: pytest.TempPathFactory,
                                                      extra: dict[str, tuple[str, Any]], divisors: list[float]) -> None:
    path = write_gguf(tmp_path_factory.mktemp("h") / "random.gguf", extra=extra, vocabulary=3,
                      rope=np.array(divisors, dtype=np.float16))
    assert_same_as_oracle(path)
    assert read_metadata(path)[1] == {"rope_freqs.weight": divisors}


# --- truncated and corrupt files: one-line GgufError, never a traceback or a huge allocation ---------------------


def assert_one_line_error(path: Path, match: str) -> str:
    with pytest.raises(GgufError, match=match) as info:
        read_metadata(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    with pytest.raises(GgufError):  # and through the config reader used by `verify model FILE.gguf`
        gguf_hf_config(path)
    return message


def rope_data_end(path: Path) -> int:
    """Where ``rope_freqs.weight``'s bytes end (the oracle's layout): the reader needs every byte before it."""
    reader = gguf.GGUFReader(str(path))
    tensor = next(t for t in reader.tensors if t.name == "rope_freqs.weight")
    return int(tensor.data_offset) + int(tensor.n_bytes)


def test_every_truncation_is_a_one_line_error(tmp_path: Path) -> None:
    full = write_gguf(tmp_path / "full.gguf", rope=np.array(DIVISORS, dtype=np.float32), vocabulary=20,
                      other_tensor_last=True)
    data = full.read_bytes()
    needed = rope_data_end(full)
    assert needed < len(data)  # the other tensor's data follows, never read
    expected = read_metadata(full)
    cut_file = tmp_path / "cut.gguf"
    for cut in range(needed):
        cut_file.write_bytes(data[:cut])
        assert_one_line_error(cut_file, "no GGUF magic" if cut < 4 else "cannot read GGUF file")
    for cut in (needed, len(data) - 1):
        cut_file.write_bytes(data[:cut])
        assert read_metadata(cut_file) == expected


def patched(path: Path, offset: int, fmt: str, value: int) -> Path:
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, offset, value)
    target = path.with_name(f"patched-{offset}-{value}.gguf")
    target.write_bytes(bytes(data))
    return target


def field_offsets(path: Path, key: str) -> tuple[int, int]:
    """(offset of the key's u64 length, offset of its value type u32) in the file."""
    field = gguf.GGUFReader(str(path)).fields[key]
    return int(field.offset), int(field.offset) + 8 + len(key.encode())


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_gguf(tmp_path / "sample.gguf", rope=np.array(DIVISORS, dtype=np.float32), vocabulary=20)


@pytest.mark.parametrize("key", ["t.string", "tokenizer.ggml.model", "general.architecture"])
def test_corrupt_string_length(sample: Path, key: str) -> None:
    _, type_offset = field_offsets(sample, key)
    for length in (2**63, 2**64 - 1, sample.stat().st_size):
        assert_one_line_error(patched(sample, type_offset + 4, "<Q", length), "truncated or corrupt")


def test_corrupt_key_length(sample: Path) -> None:
    key_offset, _ = field_offsets(sample, "t.u8")
    assert_one_line_error(patched(sample, key_offset, "<Q", 2**62), "truncated or corrupt")


@pytest.mark.parametrize("key", ["t.int_array", "t.string_array", "tokenizer.ggml.tokens", "tokenizer.ggml.scores"])
def test_corrupt_array_count(sample: Path, key: str) -> None:
    _, type_offset = field_offsets(sample, key)
    for count in (2**63, 2**40, 10**6):
        assert_one_line_error(patched(sample, type_offset + 8, "<Q", count), "truncated or corrupt")


def test_corrupt_length_inside_a_skipped_vocabulary(sample: Path) -> None:
    _, type_offset = field_offsets(sample, "tokenizer.ggml.tokens")
    second_token = type_offset + 4 + 4 + 8 + 8 + len(b"tok0")
    assert_one_line_error(patched(sample, second_token, "<Q", 2**50), "truncated or corrupt")


@pytest.mark.parametrize(("where", "value", "match"), [
    ("type", 13, "unknown value type 13"), ("type", 2**31, "unknown value type"),
    ("element", 42, "array of unknown value type 42"),
])
def test_unknown_value_types(sample: Path, where: str, value: int, match: str) -> None:
    _, type_offset = field_offsets(sample, "t.int_array")
    offset = type_offset if where == "type" else type_offset + 4
    assert_one_line_error(patched(sample, offset, "<I", value), match)


@pytest.mark.parametrize("version", [1, 4, 0, 2**31])
def test_unsupported_versions(sample: Path, version: int) -> None:
    assert_one_line_error(patched(sample, 4, "<I", version), "version .* is not supported")


def test_huge_counts_in_the_header(sample: Path) -> None:
    assert_one_line_error(patched(sample, 16, "<Q", 2**63), "truncated or corrupt")  # KV count
    assert_one_line_error(patched(sample, 8, "<Q", 2**63), "truncated or corrupt")  # tensor count


def tensor_info_offset(path: Path, name: str) -> tuple[int, int]:
    """(offset of the tensor info's n_dims, offset of its ggml type) in the file."""
    tensor = next(t for t in gguf.GGUFReader(str(path)).tensors if t.name == name)
    n_dims_offset = int(tensor.field.offset) + 8 + len(name.encode())
    return n_dims_offset, n_dims_offset + 4 + 8 * len(tensor.shape)


def test_corrupt_tensor_infos(sample: Path) -> None:
    n_dims, ggml_type = tensor_info_offset(sample, "rope_freqs.weight")
    assert_one_line_error(patched(sample, n_dims, "<I", 2**32 - 1), "truncated or corrupt")
    assert_one_line_error(patched(sample, n_dims + 4, "<Q", 2**60), "truncated or corrupt")  # its one dim
    assert_one_line_error(patched(sample, ggml_type + 4, "<Q", 2**63), "truncated or corrupt")  # its data offset


@pytest.mark.parametrize(("ggml_type", "name"), [(8, "Q8_0"), (30, "BF16"), (999, "999")])
def test_rope_tensor_of_another_type_is_named(sample: Path, ggml_type: int, name: str) -> None:
    _, type_offset = tensor_info_offset(sample, "rope_freqs.weight")
    message = assert_one_line_error(patched(sample, type_offset, "<I", ggml_type), f"ggml type {name};")
    assert "only F32 and F16" in message


def test_duplicate_keys_and_tensors(sample: Path) -> None:
    key_offset, _ = field_offsets(sample, "t.u8")
    data = bytearray(sample.read_bytes())
    data[key_offset + 8:key_offset + 12] = b"t.i8"  # same length: now t.i8 twice
    sample.write_bytes(bytes(data))
    assert_one_line_error(sample, "duplicate key 't.i8'")


def test_invalid_utf8_key(sample: Path) -> None:
    key_offset, _ = field_offsets(sample, "t.u8")
    assert_one_line_error(patched(sample, key_offset + 8, "<B", 0xFF), "not UTF-8")


@pytest.mark.parametrize(("method", "value"), [("add_uint32", 48), ("add_uint32", 0), ("add_uint64", 64)])
def test_bad_alignment(tmp_path: Path, method: str, value: int) -> None:
    path = write_gguf(tmp_path / "align.gguf", extra={"general.alignment": (method, value)})
    assert_one_line_error(path, "general.alignment")


def test_arrays_nested_too_deep(tmp_path: Path) -> None:
    value: Any = [1]
    for _ in range(9):
        value = [value]
    path = write_gguf(tmp_path / "deep.gguf", extra={"t.deep": ("add_array", value)})
    assert_one_line_error(path, "nests arrays more than")


def test_missing_and_non_gguf_files(tmp_path: Path) -> None:
    assert_one_line_error(tmp_path / "absent.gguf", "does not exist")
    (tmp_path / "empty.gguf").write_bytes(b"")
    assert_one_line_error(tmp_path / "empty.gguf", "no GGUF magic")
    (tmp_path / "json.gguf").write_bytes(b'{"not": "gguf"}')
    assert_one_line_error(tmp_path / "json.gguf", "no GGUF magic")


def test_cli_reports_a_corrupt_gguf_in_one_line(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from verify.cli import main

    _, type_offset = field_offsets(sample, "t.string")
    corrupt = patched(sample, type_offset + 4, "<Q", 2**63)
    assert main(["model", str(corrupt)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "truncated or corrupt" in err and "Traceback" not in err


def test_an_alignment_given_as_a_long_array_is_one_line(tmp_path: Path) -> None:
    """A ``general.alignment`` array longer than ``MAX_KEPT_ARRAY`` is skipped unread: it must still be refused as
    an alignment in one line (it was a KeyError)."""
    long_array = list(range(MAX_KEPT_ARRAY + 1))
    path = write_gguf(tmp_path / "align.gguf", extra={"general.alignment": ("add_array", long_array)})
    assert_one_line_error(path, "general.alignment")
