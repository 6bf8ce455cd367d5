"""Identifiers with valid check digits (python-stdnum is the oracle), phones and postcodes.

VAT ids are drawn at random and completed with the check digits that python-stdnum accepts,
so matching code can validate what it finds on a page exactly as it would on the real web.
"""

from __future__ import annotations

import random
import string
from functools import lru_cache

import phonenumbers
from stdnum import get_cc_module, luhn
from stdnum.br import cnpj
from stdnum.es import cif
from stdnum.id import npwp
from stdnum.iso7064 import mod_11_10


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


def _vat_body(country: str, rng: random.Random) -> str:
    """A random VAT number body: country prefix, no check part."""
    if country == "DE":
        return "DE" + rng.choice("123") + _digits(rng, 7)
    if country == "AT":
        return "ATU" + _digits(rng, 7)
    if country == "FR":  # SIREN body; Luhn digit and key are computed by the caller
        return rng.choice("3456789") + _digits(rng, 7)
    if country == "ES":
        return "ES" + rng.choice("ABB") + _digits(rng, 7)
    if country == "PT":
        return "PT5" + _digits(rng, 7)
    if country == "IT":  # 7-digit company number + office code 001..100 + Luhn digit
        return "IT0" + _digits(rng, 6) + f"{rng.randint(1, 100):03d}"
    if country == "NL":
        return "NL" + rng.choice("12345678") + _digits(rng, 7)
    if country == "BE":
        return "BE0" + rng.choice("456789") + _digits(rng, 6)
    if country == "PL":
        return "PL" + rng.choice("123456789") + _digits(rng, 8)
    if country == "IE":
        return "IE" + rng.choice("123456789") + _digits(rng, 6)
    if country == "GB":
        return "GB" + rng.choice("123456789") + _digits(rng, 6)
    raise ValueError(f"no VAT scheme for {country}")


def _check_part(country: str, body: str) -> str:
    """The check digit(s) completing `body` (country prefix included), computed directly."""
    digits = body[2:]
    if country == "DE":
        return mod_11_10.calc_check_digit(digits)
    if country == "AT":
        return get_cc_module("at", "vat").calc_check_digit(body[3:])
    if country == "ES":
        return cif.calc_check_digits(digits)[0]  # A/B companies take the digit form
    if country == "PT":
        return get_cc_module("pt", "vat").calc_check_digit(digits)
    if country == "IT":
        return luhn.calc_check_digit(digits)
    if country == "BE":
        return f"{97 - int(digits) % 97:02d}"
    if country == "GB":  # weighted sum of all nine digits must be 0 mod 97
        partial = sum(w * int(d) for w, d in zip((8, 7, 6, 5, 4, 3, 2), digits))
        return f"{(-partial) % 97:02d}"
    if country == "PL":
        check = sum(w * int(d) for w, d in zip((6, 5, 7, 2, 3, 4, 5, 6, 7), digits)) % 11
        return str(check) if check < 10 else ""
    if country == "NL":  # 11-proof: weights 9..2 and -1 on the last digit
        check = sum(w * int(d) for w, d in zip(range(9, 1, -1), digits)) % 11
        return f"{check}B01" if check < 10 else ""
    raise ValueError(f"no VAT scheme for {country}")


def vat_id(country: str, rng: random.Random) -> str:
    """A VAT id (compact form with country prefix) valid for python-stdnum; BR gets a CNPJ,
    ID an NPWP (the tax numbers printed on those countries' sites)."""
    if country == "BR":
        body = _digits(rng, 8) + "0001"
        return body + cnpj.calc_check_digits(body)
    if country == "ID":  # 9-digit taxpayer number with a Luhn digit, then office and branch
        body = _digits(rng, 8)
        return body + luhn.calc_check_digit(body) + _digits(rng, 3) + "000"
    if country == "FR":
        siren_body = _vat_body(country, rng)
        siren = siren_body + luhn.calc_check_digit(siren_body)
        return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    if country == "IE":
        body = _vat_body(country, rng)
        return body + get_cc_module("ie", "vat").calc_check_digit(body[2:])
    module = get_cc_module(country.lower(), "vat")
    while True:  # python-stdnum stays the judge of what is valid
        body = _vat_body(country, rng)
        candidate = body + _check_part(country, body)
        if module.is_valid(candidate):
            return candidate


def is_valid_vat(country: str, value: str) -> bool:
    if country == "BR":
        return cnpj.is_valid(value)
    if country == "ID":
        return npwp.is_valid(value)
    return get_cc_module(country.lower(), "vat").is_valid(value)


def display_vat(country: str, value: str) -> str:
    """The form printed on an imprint page (`DE 123 456 789`, `12.345.678/0001-95`)."""
    if country == "BR":
        return cnpj.format(value)
    if country == "ID":
        return npwp.format(value)
    if country == "DE":
        return f"DE {value[2:5]} {value[5:8]} {value[8:]}"
    if country in ("FR",):
        return f"FR {value[2:4]} {value[4:7]} {value[7:10]} {value[10:]}"
    return value


def company_id(country: str, vat: str, rng: random.Random, city: str) -> str:
    """The national business-register number, in its usual printed form."""
    if country == "DE":
        return f"HRB {rng.randint(1000, 250000)} (Amtsgericht {city})"
    if country == "AT":
        return f"FN {rng.randint(10000, 599999)}{rng.choice('abdfghikmpstvwxyz')}"
    if country == "FR":
        return vat[4:]  # SIREN
    if country == "IT":  # REA: province and number at the chamber of commerce
        return f"{city[:2].upper()}-{rng.randint(100000, 999999)}"
    if country in ("ES", "PT"):
        return vat[2:]
    if country == "NL":
        return _digits(rng, 8)
    if country == "BE":
        return f"{vat[2:6]}.{vat[6:9]}.{vat[9:]}"
    if country == "PL":
        return "0000" + _digits(rng, 6)
    if country == "GB":
        return ("SC" + _digits(rng, 6)) if city == "Glasgow" else ("0" + _digits(rng, 7))
    if country == "IE":
        return str(rng.randint(100000, 799999))
    if country == "BR":
        return cnpj.format(vat)
    if country == "ID":
        return _digits(rng, 13)
    return ""


def postcode(template: str, rng: random.Random) -> str:
    out = []
    for char in template:
        if char == "#":
            out.append(rng.choice(string.digits))
        elif char == "@":
            out.append(rng.choice("ABCDEFGHJKLMNPRSTVWXZ"))
        else:
            out.append(char)
    return "".join(out)


@lru_cache(maxsize=None)
def _valid_lengths(country: str, area_code: str) -> tuple[int, ...]:
    """National number lengths the numbering plan accepts after this area code (probed once;
    a pure function of its arguments, so populations stay deterministic)."""
    lengths = []
    for length in range(len(area_code) + 4, 13):
        for lead in "2345678":
            probe = area_code + (lead + "2468013579" * 2)[: length - len(area_code)]
            try:
                if phonenumbers.is_valid_number(_parse(probe, country)):
                    lengths.append(length)
                    break
            except phonenumbers.NumberParseException:
                continue
    return tuple(lengths)


def _parse(national: str, country: str) -> phonenumbers.PhoneNumber:
    number = phonenumbers.parse(national, country)
    if country == "IT":
        number.italian_leading_zero = national.startswith("0")
    return number


def phone(country: str, area_code: str, rng: random.Random) -> phonenumbers.PhoneNumber:
    """A valid fixed-line number in the city's area (falls back to any valid number)."""
    valid = _valid_lengths(country, area_code)
    lengths = tuple(n for n in valid if 9 <= n <= 11) or valid or (len(area_code) + 7,)
    for attempt in range(200):
        length = rng.choice(lengths)
        national = area_code + rng.choice("23456789") + _digits(rng, length - len(area_code) - 1)
        if attempt > 100:  # the area prefix may be wrong for the library; any valid number
            example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.FIXED_LINE)
            digits = str(example.national_number)
            national = digits[: max(2, len(digits) - 5)] + _digits(rng, min(5, len(digits) - 2))
        try:
            number = _parse(national, country)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return number
    raise RuntimeError(f"could not draw a valid phone number for {country}")


def format_phone(number: phonenumbers.PhoneNumber, style: str) -> str:
    styles = {
        "e164": phonenumbers.PhoneNumberFormat.E164,
        "international": phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        "national": phonenumbers.PhoneNumberFormat.NATIONAL,
    }
    return phonenumbers.format_number(number, styles[style])

