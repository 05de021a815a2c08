"""Advertising-API normalisations: how conversion APIs want contact data spelled before hashing.

Ad platforms match their users on SHA-256 digests of e-mail addresses, phone numbers and names,
and each documents how to normalise a value before hashing it. An app or its SDK that follows
one of these documents sends the digest of that spelling, so the matcher hashes every one of
them (:mod:`analyzer.detect.spellings` lists them as labelled spellings; a label is one step of a
finding's chain). The rules, per platform:

============  =========================================  ==========================  ============
platform      e-mail                                     phone                       names
============  =========================================  ==========================  ============
Meta          trim, lower case                           digits with country code,   lower case,
                                                         no "+", no leading zeros    no punctuation
Google        trim, lower case; gmail.com and            E.164 ("+" and digits)      trim, lower
              googlemail.com: dots of the local part                                 case
              removed
TikTok        trim, lower case                           E.164                       (not sent)
Snap          trim, lower case                           digits with country code,   lower case
                                                         no "+"/"00", no trunk 0
Pinterest     lower case                                 digits with country code    lower case
LinkedIn      trim, lower case                           (not sent)                  plain text
X             trim, lower case                           E.164                       (not sent)
============  =========================================  ==========================  ============

Sources (each platform's own documentation):

- Meta Conversions API, customer information parameters:
  https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters
- Google Ads API enhanced conversions for web:
  https://developers.google.com/google-ads/api/docs/conversions/enhanced-conversions/web ;
  Campaign Manager 360 enhanced conversions (the gmail dot rule):
  https://developers.google.com/doubleclick-advertisers/guides/conversions_ec
- TikTok Events API, customer information parameters:
  https://business-api.tiktok.com/portal/docs?id=1771101027431425
- Snap Conversions API parameters:
  https://developers.snap.com/api/marketing-api/Conversions-API/Parameters
- Pinterest API for Conversions, ``user_data``:
  https://developers.pinterest.com/docs/api/v5/events-create
- LinkedIn Conversions API, ``userIds`` (``SHA256_EMAIL``) and ``userInfo``:
  https://learn.microsoft.com/en-us/linkedin/marketing/integrations/ads-reporting/conversions-api
- X (Twitter) Conversion API, ``hashed_email`` and ``hashed_phone_number``:
  https://developer.x.com/en/docs/x-ads-api/measurement/web-conversions/conversion-api

Beyond the documents: tag-manager templates for Google's enhanced conversions commonly drop a
"+tag" sub-address as well (no platform documents it); the address without it still names the
same mailbox, so it is listed too (label ``plus-tag``). A family name may be several words
("de Vries", "García López"): Google's ``hashedLastName`` and Meta's ``ln`` take it whole, so a
full name is split at every word boundary, not only before its last word.
"""

from __future__ import annotations

import re
import unicodedata

GMAIL_DOMAINS = ("gmail.com", "googlemail.com")


def email_forms(value: str) -> list[tuple[str, str]]:
    """``(text, label)`` spellings of an e-mail address: lower-cased (label ""), gmail dots
    removed (``gmail-dots``), "+tag" removed (``plus-tag``), both (``gmail-dots>plus-tag``).
    ``value`` is the address as the profile gives it; nothing is raised."""
    lower = value.strip().lower()
    out = [(lower, "")]
    local, at, domain = lower.rpartition("@")
    if not at or not local:
        return out
    untagged = local.split("+", 1)[0] if "+" in local[1:] else local
    if untagged != local:
        out.append((f"{untagged}@{domain}", "plus-tag"))
    if domain in GMAIL_DOMAINS:
        if "." in local:
            out.append((f"{local.replace('.', '')}@{domain}", "gmail-dots"))
        if untagged != local and "." in untagged:
            out.append((f"{untagged.replace('.', '')}@{domain}", "gmail-dots>plus-tag"))
    return out


def phone_forms(value: str) -> list[tuple[str, str]]:
    """``(text, label)`` spellings of a phone number: with a country code ("+49 ..." or
    "0049 ..."), E.164 (``e164``), its digits without "+" and with "00" (``digits``), the
    national number with and without the trunk prefix (``national``) and the international
    format (``international``), formatted by ``phonenumbers`` (Google's libphonenumber), so
    trunk prefixes are right per country; without a country code only its digits."""
    import phonenumbers

    digits = re.sub(r"\D", "", value)
    text = value.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+"):
        # Without a country code the country is unknown: only the digits are certain.
        return [(digits, "digits")]
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return [(digits, "digits")]
    fmt = phonenumbers.PhoneNumberFormat
    e164 = phonenumbers.format_number(number, fmt.E164)
    national = phonenumbers.format_number(number, fmt.NATIONAL)
    return [
        (e164, "e164"),
        (e164[1:], "digits"),
        ("00" + e164[1:], "digits"),
        (re.sub(r"\D", "", national), "national"),
        (phonenumbers.national_significant_number(number), "national"),
        (phonenumbers.format_number(number, fmt.INTERNATIONAL), "international"),
        (national, "national"),
    ]


def name_forms(value: str) -> list[tuple[str, str]]:
    """``(text, label)`` spellings of a person's full name: lower-cased and trimmed (label ""),
    without spaces (``nospace``), without punctuation (``nopunct``), and for a name of several
    words every split into a first name (``first-name``) and a family name (``last-name``),
    punctuation removed: "Jan de Vries" gives "jan" / "de vries" and "jan de" / "vries"."""
    lower = " ".join(value.lower().split())
    bare = without_punctuation(lower)
    out = [
        (lower, ""),
        (lower.replace(" ", ""), "nospace"),
        (bare, "nopunct"),
        (bare.replace(" ", ""), "nospace"),
    ]
    words = lower.split(" ")
    for cut in range(1, len(words)):
        out.append((without_punctuation(" ".join(words[:cut])), "first-name"))
        out.append((without_punctuation(" ".join(words[cut:])), "last-name"))
    return out


def without_punctuation(text: str) -> str:
    """``text`` without Unicode punctuation (general category P*), as Meta asks for names."""
    return "".join(c for c in text if not unicodedata.category(c).startswith("P"))
