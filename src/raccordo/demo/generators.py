"""Valid-looking identifiers for demo data and tests: tax ids, bank details, phones, e-mails.

Every function returns a value that python-stdnum / phonenumbers accept (check digits are
computed, not guessed). The `*_from_*` variants are deterministic and cheap, for bulk seeding
where a million rows must be generated without calling a validator per row.
"""

from __future__ import annotations

import random

_INN10_W = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)

# Codes of Russian regions (first two digits of INN/KPP) and a few real tax-office numbers within them.
RU_REGIONS = ("77", "78", "50", "16", "66", "54", "52", "23", "61", "63", "02", "74", "59", "36", "24")


def inn10_from_body(body: str) -> str:
    """Complete 9 digits into a valid 10-digit INN (organisation)."""
    digits = [ord(c) - 48 for c in body]
    return body + str(sum(d * w for d, w in zip(digits, _INN10_W, strict=True)) % 11 % 10)


def inn12_from_body(body: str) -> str:
    """Complete 10 digits into a valid 12-digit INN (person, sole trader)."""
    digits = [ord(c) - 48 for c in body]
    c1 = sum(d * w for d, w in zip(digits, _INN12_W1, strict=True)) % 11 % 10
    digits.append(c1)
    c2 = sum(d * w for d, w in zip(digits, _INN12_W2, strict=True)) % 11 % 10
    return f"{body}{c1}{c2}"


def inn10(seed: int | None = None) -> str:
    """A valid 10-digit Russian INN (organisation)."""
    rnd = random.Random(seed)
    return inn10_from_body("".join(str(rnd.randint(0, 9)) for _ in range(9)))


def inn12(seed: int | None = None) -> str:
    """A valid 12-digit Russian INN (person, sole trader)."""
    rnd = random.Random(seed)
    return inn12_from_body("".join(str(rnd.randint(0, 9)) for _ in range(10)))


def kpp_for(inn: str, reason: str = "01") -> str:
    """KPP of an organisation registered where its INN was issued (tax office = INN's first 4 digits)."""
    return f"{inn[:4]}{reason}001"


def ogrn_from(*, year: int, region: str, serial: int) -> str:
    """A valid 13-digit OGRN: sign 1, two digits of the year, region, 7-digit record number, check digit."""
    body = f"1{year % 100:02d}{region[:2]}{serial % 10_000_000:07d}"
    return body + str(int(body) % 11 % 10)


def ogrnip_from(*, year: int, region: str, serial: int) -> str:
    """A valid 15-digit OGRNIP (sole trader): sign 3, year, region, 9-digit record number, check digit."""
    # python-stdnum compares the last digit with the plain remainder mod 13, so skip record numbers
    # whose remainder would be 10-12 (registries avoid them for the same reason).
    while True:
        body = f"3{year % 100:02d}{region[:2]}{serial % 1_000_000_000:09d}"
        remainder = int(body) % 13
        if remainder < 10:
            return body + str(remainder)
        serial += 1


def partita_iva_from_body(body7: str, office: int) -> str:
    """Complete 7 digits and a provincial office code (1-100) into a valid partita IVA (Luhn check digit)."""
    number = f"{body7}{office:03d}"
    total = 0
    for i, c in enumerate(number):
        d = ord(c) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return number + str((10 - total % 10) % 10)


def partita_iva(seed: int | None = None) -> str:
    """A valid 11-digit Italian partita IVA (Luhn check digit)."""
    rnd = random.Random(seed)
    return partita_iva_from_body("".join(str(rnd.randint(0, 9)) for _ in range(7)), rnd.randint(1, 100))


# --- Bank details ------------------------------------------------------------------------------------------------

_RU_ACCOUNT_W = (7, 1, 3)


def _ru_key_sum(text: str) -> int:
    return sum(((ord(c) - 48) * _RU_ACCOUNT_W[i % 3]) % 10 for i, c in enumerate(text))


def ru_account_is_valid(account: str, bic: str) -> bool:
    """Central Bank control key of a settlement account held at the bank with this BIC."""
    return len(account) == 20 and _ru_key_sum(bic[-3:] + account) % 10 == 0


def ru_correspondent_is_valid(account: str, bic: str) -> bool:
    """Control key of a bank's correspondent account at the Central Bank."""
    return len(account) == 20 and _ru_key_sum("0" + bic[4:6] + account) % 10 == 0


def ru_account(*, bic: str, currency_code: str = "810", prefix: str = "40702", serial: int = 1) -> str:
    """A settlement account (40702 = commercial organisation) whose 9th digit is the right control key."""
    head, tail = f"{prefix}{currency_code}", f"{serial % 100_000_000_000:011d}"
    zero_key = head + "0" + tail
    key = (_ru_key_sum(bic[-3:] + zero_key) % 10) * 3 % 10
    return head + str(key) + tail


_CIN_ODD = (1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23)
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _cin_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - 65


def italian_iban(*, abi: str, cab: str, account: str) -> str:
    """An Italian IBAN with the national CIN letter and the ISO 7064 mod 97 check digits."""
    bban = f"{abi:0>5}{cab:0>5}{account:0>12}"
    total = 0
    for i, c in enumerate(bban):
        v = _cin_value(c)
        total += _CIN_ODD[v] if i % 2 == 0 else v
    cin = chr(65 + total % 26)
    body = cin + bban
    numeric = "".join(str(_ALNUM.index(c)) for c in body + "IT00")
    check = 98 - int(numeric) % 97
    return f"IT{check:02d}{body}"


# --- Phones and e-mails --------------------------------------------------------------------------------------------

# Mobile prefixes every phonenumbers release accepts as valid.
RU_MOBILE_PREFIXES = ("903", "905", "910", "915", "916", "917", "925", "926", "977", "985", "999", "921", "911")
IT_MOBILE_PREFIXES = ("320", "328", "333", "335", "338", "340", "347", "348", "349", "366", "380", "389", "392")


def ru_mobile(n: int) -> str:
    """+7 9xx xxx-xx-xx, E.164."""
    return f"+7{RU_MOBILE_PREFIXES[n % len(RU_MOBILE_PREFIXES)]}{(n * 7919 + 1234567) % 10_000_000:07d}"


def it_mobile(n: int) -> str:
    """+39 3xx xxxxxxx, E.164."""
    return f"+39{IT_MOBILE_PREFIXES[n % len(IT_MOBILE_PREFIXES)]}{(n * 7919 + 2345678) % 10_000_000:07d}"


_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya",
}


def latin_slug(text: str) -> str:
    """Lower-case Latin letters and digits only, transliterating Cyrillic (for e-mail local parts and domains)."""
    out = []
    for ch in text.lower():
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
    return "".join(out)
