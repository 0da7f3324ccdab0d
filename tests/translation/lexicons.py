"""Word-for-word lexicons of the test packages.

Each maps the words a client or the desk would use for Jobcenter and Meldebescheinigung to something
else, so a test can see the glossary overrule the model.
"""

AR_DE = {
    "أحتاج": "brauche",
    "موعدا": "Termin",
    "في": "im",
    "مركز": "Zentrum",
    "العمل": "Arbeit",
    "شكرا": "danke",
}
DE_AR = {
    "Bitte": "رجاء",
    "die": "ال",
    "mitbringen": "أحضر",
    "Meldebescheinigung": "ورقة",
    "Termin": "موعد",
}
FA_EN = {
    "سلام.": "hello.",
    "من": "I",
    "کار": "work",
    "میخواهم": "want",
    "جاب": "job",
    "سنتر": "center",
}
EN_DE = {
    "hello.": "hallo.",
    "I": "ich",
    "work": "Arbeit",
    "want": "will",
    "job": "Stelle",
    "center": "Mitte",
}
