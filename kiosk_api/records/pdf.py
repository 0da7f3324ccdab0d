"""The printable German intake sheet (Anmeldebogen) as PDF."""

from __future__ import annotations

from kiosk_api.i18n import format_datetime, translate
from kiosk_api.pdf import HeaderLine, header_with_qr, new_document, set_main_font
from kiosk_api.queue.desk_view import DESK_LOCALE
from kiosk_api.records.schemas import IntakeStaffView


def _t(key: str, **params: object) -> str:
    return translate(key, DESK_LOCALE, **params)


def intake_sheet(view: IntakeStaffView) -> bytes:
    pdf = new_document(_t("sheet.title"), DESK_LOCALE)
    header_with_qr(
        pdf,
        [
            HeaderLine(_t("sheet.title"), 16, 10),
            HeaderLine(_t("sheet.reference", code=view.reference_code), 10, 6),
            HeaderLine(
                _t("sheet.printed_at", when=format_datetime(view.read_at, DESK_LOCALE)), 10, 6
            ),
            HeaderLine(_t("sheet.language", language=view.language_name), 10, 6),
        ],
        view.reference_code.replace("-", ""),
    )
    pdf.ln(4)
    for line in view.fields:
        if line.value is None:
            continue
        set_main_font(pdf, 9)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(60, 6, line.label)
        pdf.set_text_color(0, 0, 0)
        set_main_font(pdf, 10)
        if line.translation is not None and line.translation.machine_translated:
            pdf.multi_cell(0, 6, line.translation.text, new_x="LMARGIN", new_y="NEXT")
            set_main_font(pdf, 8)
            pdf.cell(60, 5, "")
            pdf.multi_cell(
                0,
                5,
                _t(
                    "sheet.machine_translation_original",
                    language=line.translation.source_language,
                    original=line.translation.original,
                ),
                new_x="LMARGIN",
                new_y="NEXT",
            )
        else:
            pdf.multi_cell(0, 6, line.value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    set_main_font(pdf, 10)
    pdf.multi_cell(
        0,
        6,
        _t("sheet.routing", team=view.routing.service_name, reason=view.routing.reason),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    referral = view.routing.referral
    if referral is not None:
        pdf.multi_cell(
            0,
            6,
            _t("sheet.referral", office=referral.name, address=referral.one_line()),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    for consent in view.record.consents:
        pdf.multi_cell(
            0,
            6,
            _t(
                "sheet.consent",
                version=consent.notice_version,
                when=format_datetime(consent.given_at, DESK_LOCALE),
                channel=_t(f"channel.{consent.channel.value}"),
                foreigners_authority=_t(
                    "common.yes" if consent.share_foreigners_authority else "common.no"
                ),
                social_welfare=_t("common.yes" if consent.share_social_welfare else "common.no"),
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    if view.record.assisted:
        pdf.multi_cell(0, 6, _t("sheet.assisted"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-20)
    set_main_font(pdf, 8)
    pdf.multi_cell(0, 4, _t("sheet.footer"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
