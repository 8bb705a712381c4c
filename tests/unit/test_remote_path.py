"""resolve_remote_path: the request's path is always confined to the file server's default path."""

from __future__ import annotations

import pytest

from openisales.sftp import UnsafePathError, resolve_remote_path


@pytest.mark.parametrize(
    ("default_path", "file_path", "file_name", "expected"),
    [
        # the OpenAPI example: filePath starts with '/' yet is relative to the default path
        ("/home/sftp", "/isales/20220310", "data.xlsx", "/home/sftp/isales/20220310/data.xlsx"),
        ("/home/sftp", "isales/20220310", "data.xlsx", "/home/sftp/isales/20220310/data.xlsx"),
        ("/home/sftp", None, "data.xlsx", "/home/sftp/data.xlsx"),
        ("/home/sftp", "", "data.xlsx", "/home/sftp/data.xlsx"),
        ("/home/sftp", "/", "data.xlsx", "/home/sftp/data.xlsx"),
        ("/home/sftp", "///", "data.xlsx", "/home/sftp/data.xlsx"),
        ("/home/sftp", ".", "data.xlsx", "/home/sftp/data.xlsx"),
        ("/home/sftp", "./a/./b/.", "x.xlsx", "/home/sftp/a/b/x.xlsx"),
        ("/home/sftp", "a//b/", "x.xlsx", "/home/sftp/a/b/x.xlsx"),
        ("/home/sftp", "//a", "x.xlsx", "/home/sftp/a/x.xlsx"),
        # default path normalised
        ("/home/sftp/", "a", "x.xlsx", "/home/sftp/a/x.xlsx"),
        ("/home//sftp/./", "a", "x.xlsx", "/home/sftp/a/x.xlsx"),
        ("//home/sftp", "a", "x.xlsx", "/home/sftp/a/x.xlsx"),
        ("/home/other/../sftp", "a", "x.xlsx", "/home/sftp/a/x.xlsx"),
        ("/", "a", "x.xlsx", "/a/x.xlsx"),
        ("/", None, "x.xlsx", "/x.xlsx"),
        # names that only look dangerous are literal names
        ("/home/sftp", "%2e%2e", "x.xlsx", "/home/sftp/%2e%2e/x.xlsx"),
        ("/home/sftp", "a/%2e%2e%2f", "x.xlsx", "/home/sftp/a/%2e%2e%2f/x.xlsx"),
        ("/home/sftp", None, "%2e%2e", "/home/sftp/%2e%2e"),
        ("/home/sftp", "...", "x.xlsx", "/home/sftp/.../x.xlsx"),
        ("/home/sftp", "a..b", "..x.xlsx", "/home/sftp/a..b/..x.xlsx"),
        ("/home/sftp", None, ".hidden", "/home/sftp/.hidden"),
        ("/home/sftp", "~root", "x.xlsx", "/home/sftp/~root/x.xlsx"),
        ("/home/sftp", "数据/2024", "名单 1.xlsx", "/home/sftp/数据/2024/名单 1.xlsx"),
        ("/home/sftp", "a b", "c d.xlsx", "/home/sftp/a b/c d.xlsx"),
    ],
)
def test_resolves_inside_default_path(
    default_path: str, file_path: str | None, file_name: str, expected: str
) -> None:
    assert resolve_remote_path(default_path, file_path, file_name) == expected


@pytest.mark.parametrize(
    "file_path",
    [
        "..",
        "../",
        "/..",
        "../etc",
        "/../etc",
        "a/../../etc",
        "a/..",  # stays inside after normalising, but '..' is refused outright
        "a/../b",
        "./..",
        "a/b/../../..",
        "//..//..//",
    ],
)
def test_dot_dot_in_file_path_is_refused(file_path: str) -> None:
    with pytest.raises(UnsafePathError, match=r"'\.\.'"):
        resolve_remote_path("/home/sftp", file_path, "x.xlsx")


@pytest.mark.parametrize("file_name", ["", ".", "..", "a/b.xlsx", "/x.xlsx", "x.xlsx/", "../x"])
def test_file_name_must_be_a_plain_name(file_name: str) -> None:
    with pytest.raises(UnsafePathError, match="plain file name"):
        resolve_remote_path("/home/sftp", "isales", file_name)


@pytest.mark.parametrize(
    ("file_path", "file_name", "message"),
    [
        ("a\x00b", "x.xlsx", "NUL"),
        ("isales", "x.xlsx\x00.txt", "NUL"),
        ("..\\..\\etc", "x.xlsx", "backslash"),
        ("a\\b", "x.xlsx", "backslash"),
        ("isales", "..\\x.xlsx", "backslash"),
        ("a\nb", "x.xlsx", "control characters"),
        ("isales", "x\r.xlsx", "control characters"),
        ("isales", "x\x7f.xlsx", "control characters"),
        ("a\tb", "x.xlsx", "control characters"),
    ],
)
def test_unsafe_characters_are_refused(file_path: str, file_name: str, message: str) -> None:
    with pytest.raises(UnsafePathError, match=message):
        resolve_remote_path("/home/sftp", file_path, file_name)


@pytest.mark.parametrize("default_path", ["", "home/sftp", "./home", "~/sftp"])
def test_default_path_must_be_absolute(default_path: str) -> None:
    with pytest.raises(UnsafePathError, match="absolute"):
        resolve_remote_path(default_path, "a", "x.xlsx")


def test_default_path_with_nul_is_refused() -> None:
    with pytest.raises(UnsafePathError, match="NUL"):
        resolve_remote_path("/home/sftp\x00", "a", "x.xlsx")


def test_unsafe_path_error_is_a_value_error() -> None:
    assert issubclass(UnsafePathError, ValueError)


def test_result_never_equals_or_escapes_the_root() -> None:
    # A sweep over many awkward combinations: whatever is accepted stays strictly below root.
    pieces = ["", ".", "..", "/", "//", "a", "a/", "/a", "a/.", "./a", "a/..", ".a", "..a"]
    root = "/srv/files"
    for p1 in pieces:
        for p2 in pieces:
            file_path = p1 + p2
            for name in ["x", ".x", "..", ".", "", "a/x"]:
                try:
                    result = resolve_remote_path(root, file_path, name)
                except UnsafePathError:
                    continue
                assert result.startswith(root + "/"), (file_path, name, result)
                assert "/../" not in result + "/" and "/./" not in result + "/"
                assert result.endswith("/" + name)
