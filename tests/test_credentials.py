"""Credentials: loaded from a file or the environment only, hidden from reprs; the Digest and
challenge arithmetic they are sent with (RFC 2617 / RFC 7616 worked examples)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.credentials import load_credentials
from scanner.errors import DecodeError, UsageError
from scanner.parse.auth import DigestAnswer, digest_authorization, parse_challenges

# -- loading --------------------------------------------------------------------------------


def _file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "creds.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_file_and_environment_load_in_order(tmp_path: Path) -> None:
    """File sets first (with their scope), then the environment's for every host."""
    path = _file(tmp_path, '[[credential]]\nscope = ["10.0.0.0/24"]\nuser = "a"\npassword = "p"\n')
    env = {"CAMSCAN_USER": "b", "CAMSCAN_PASSWORD": "q"}
    loaded = load_credentials(path, env)
    assert loaded is not None and loaded.warnings == ()
    assert loaded.for_host("10.0.0.9").user == "a"  # type: ignore[union-attr]
    assert loaded.for_host("10.0.1.9").user == "b"  # type: ignore[union-attr]
    assert load_credentials(None, {}) is None


def test_world_readable_file_is_a_warning(tmp_path: Path) -> None:
    """A file every user can read still loads, with a one-line warning naming chmod 600."""
    path = _file(tmp_path, '[[credential]]\nuser = "a"\npassword = "p"\n', 0o644)
    loaded = load_credentials(path, {})
    assert loaded is not None and len(loaded.warnings) == 1
    assert "chmod 600" in loaded.warnings[0] and "\n" not in loaded.warnings[0]


def test_group_readable_file_is_a_warning(tmp_path: Path) -> None:
    """A file its group can read is warned about too (issue 12, item 10); 0600 is not."""
    path = _file(tmp_path, '[[credential]]\nuser = "a"\npassword = "p"\n', 0o640)
    loaded = load_credentials(path, {})
    assert loaded is not None and len(loaded.warnings) == 1
    assert "its group can read it" in loaded.warnings[0] and "chmod 600" in loaded.warnings[0]


def test_a_password_that_is_not_utf8_stops_the_scan_at_load(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """CAMSCAN_PASSWORD holding the byte 0xff: one line and exit 2 before anything is sent
    (it used to abort at the first device's challenge)."""
    from scanner.cli import main

    monkeypatch.setenv("CAMSCAN_USER", "admin")
    monkeypatch.setenv("CAMSCAN_PASSWORD", "pa\udcffss")  # os.environ's form of b"pa\xffss"
    with pytest.raises(SystemExit) as stopped:
        main(["scan", "127.77.4.1", "--ports", "9", "--no-discovery", "-f", "json"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert err.strip() == ("camscan: CAMSCAN_PASSWORD is not UTF-8 text (set it in UTF-8, or "
                           "put the password in a --credentials file)")


@pytest.mark.parametrize(
    ("text", "env", "needle"),
    [
        ("user = ", {}, "not TOML"),
        ('[[credential]]\nuser = "a"\n', {}, "entry 1: user and password"),
        ('[[credential]]\nuser = "a"\npassword = "p"\nport = 1\n', {}, "unknown key 'port'"),
        ('[[credential]]\nuser = "a\\"b"\npassword = "p"\n', {}, "user name must be"),
        ('[[credential]]\nscope = ["10.0.0.0/33"]\nuser = "a"\npassword = "p"\n', {}, "entry 1"),
        ("", {"CAMSCAN_USER": "a"}, "must be set together"),
        ("", {"CAMSCAN_USER": "a", "CAMSCAN_PASSWORD": "pa\udcffss"}, "is not UTF-8 text"),
    ],
    ids=["toml", "no-password", "unknown-key", "quote-in-user", "bad-scope", "half-env",
         "env-not-utf8"],
)
def test_bad_credentials_are_one_line_usage_errors(
    tmp_path: Path, text: str, env: dict[str, str], needle: str
) -> None:
    """Every mistake is a UsageError of one line that says where."""
    with pytest.raises(UsageError) as raised:
        load_credentials(_file(tmp_path, text) if text else None, env)
    assert needle in str(raised.value) and "\n" not in str(raised.value)


def test_an_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    """A missing file names itself."""
    with pytest.raises(UsageError, match="cannot read credentials file"):
        load_credentials(tmp_path / "absent.toml", {})


def test_passwords_never_show_in_reprs(tmp_path: Path) -> None:
    """repr of a set or of all of them (what a traceback or a log would print) hides it."""
    path = _file(tmp_path, '[[credential]]\nuser = "a"\npassword = "s3cr3t"\n')
    loaded = load_credentials(path, {})
    assert loaded is not None and loaded.entries[0].password == "s3cr3t"
    assert "s3cr3t" not in repr(loaded) and "s3cr3t" not in repr(loaded.entries)


# -- Digest arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("challenge", "password", "cnonce", "response"),
    [
        (  # RFC 2617 §3.5
            'Digest realm="testrealm@host.com", qop="auth,auth-int", '
            'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
            "Circle Of Life", "0a4f113b", "6629fae49393a05397450978507c4ef1",
        ),
        (  # RFC 7616 §3.9.1, MD5
            'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, '
            'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
            'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
            "Circle of Life", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            "8ca523f5e9506fed4657c9700eebdbec",
        ),
        (  # RFC 7616 §3.9.1, SHA-256
            'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, '
            'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
            'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
            "Circle of Life", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
    ],
    ids=["rfc2617", "rfc7616-md5", "rfc7616-sha256"],
)
def test_digest_matches_the_rfc_examples(
    challenge: str, password: str, cnonce: str, response: str
) -> None:
    """The RFCs' worked examples give their published response values."""
    (parsed,) = parse_challenges(challenge)
    answer = DigestAnswer("GET", "/dir/index.html", cnonce)
    assert f'response="{response}"' in digest_authorization(parsed, "Mufasa", password, answer)


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(['Digest', 'Basic', ' ', ',', 'realm=', 'nonce=', '"', '\\',
                              'qop="auth"', 'algorithm=SHA-256-sess', '\r\n', 'x=y']),
             max_size=20).map("".join),
))
def test_challenges_from_devices_are_total(header: str) -> None:
    """Any WWW-Authenticate value: challenges or DecodeError; any answer we would send back is
    one header line (no CR or LF a device could have slipped in)."""
    with contextlib.suppress(DecodeError):
        for challenge in parse_challenges(header):
            with contextlib.suppress(DecodeError):
                line = digest_authorization(challenge, "u", "p", DigestAnswer("GET", "/", "c"))
                assert "\r" not in line and "\n" not in line
