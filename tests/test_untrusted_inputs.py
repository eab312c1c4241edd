"""Every input a user or another office can send, the bounds enforced on it, and the tests that
prove each bound (issue 20). Where this list is silent, assume the sender is hostile and the
stick is corrupt: a new input gets its entry here, with its tests.

Two tests keep the list true: every test it names must exist, and every figure it quotes from a
constant must be that constant's value.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
MB = 1024 * 1024


@dataclass(frozen=True)
class Bound:
    what: str  # the bound, in words
    tests: tuple[str, ...]  # "path/relative/to/tests.py::test_name"
    constant: tuple[str, str, object] | None = None  # (module, name, value quoted in `what`)


@dataclass(frozen=True)
class Input:
    name: str
    read_by: str
    bounds: tuple[Bound, ...]


B = Bound
INPUTS: tuple[Input, ...] = (
    Input(
        "bundle (.cwbundle) from an office, at the hub; from the district, at an office",
        "caseworker/sync/bundle.py, exchange.py, merge.py, photos.py; district/service.py",
        (
            B(
                "file shape: header and trailer lengths; a flipped bit or a cut anywhere",
                (
                    "sync/test_faults.py::test_any_flipped_bit_or_cut_is_refused",
                    "sync/test_faults.py::test_damaged_and_forged_bundles_are_refused_and_change_nothing",
                    "sync/test_faults.py::test_refusal_through_the_command_line_is_one_line_exit_2",
                ),
            ),
            B(
                "manifest at most 1 MiB, JSON nested at most 32 deep, every field of its type "
                "and size (ids ≤ 64 hex characters, names ≤ 200, counts < 2**40)",
                (
                    "sync/test_fuzz_files.py::test_a_signed_manifest_of_the_wrong_shape_is_refused",
                    "sync/test_fuzz_files.py::test_the_command_line_refuses_crafted_files_in_one_line",
                ),
                ("caseworker.sync.bundle", "MAX_MANIFEST", 1 * MB),
            ),
            B(
                "JSON nesting at most 32 deep",
                ("sync/test_fuzz_files.py::test_a_signed_manifest_of_the_wrong_shape_is_refused",),
                ("caseworker.sync.bundle", "MAX_DEPTH", 32),
            ),
            B(
                "known sender, valid signature, addressed to us, not replayed",
                (
                    "sync/test_faults.py::test_wrong_recipient_and_unknown_sender_are_refused",
                    "sync/test_faults.py::test_replayed_bundle_reports_nothing_new_and_changes_nothing",
                ),
            ),
            B(
                "a frame inflates to at most 128 MiB (enforced by the decompressor)",
                (
                    "sync/test_fuzz_files.py::"
                    "test_a_payload_that_inflates_past_the_cap_is_refused_before_the_memory_is_spent",
                ),
                ("caseworker.sync.bundle", "MAX_FRAME_PLAIN", 128 * MB),
            ),
            B(
                "the number of changes is the signed manifest's",
                (
                    "sync/test_faults.py::test_a_signed_manifest_that_miscounts_its_changes_is_refused",
                ),
            ),
            B(
                "each change row: 13 columns of the types this program writes, ids ≤ 36 "
                "characters, names and fields ≤ 60, a time that parses, a known table and "
                "field; otherwise the whole bundle is refused in one line",
                (
                    "sync/test_crafted_values.py::"
                    "test_any_column_of_a_change_of_the_wrong_type_or_size_is_one_clear_line",
                    "sync/test_crafted_values.py::"
                    "test_a_value_column_of_the_wrong_type_is_one_clear_line_at_the_hub",
                    "sync/test_crafted_values.py::"
                    "test_an_office_keeps_out_a_value_it_cannot_read_and_takes_the_rest",
                ),
            ),
            B(
                "each value JSON on its own, of its column's type and length (text ≤ the "
                "column's length, a Text column ≤ 200,000 characters), not NULL where it may "
                "not be, no control characters; otherwise that change alone goes to the "
                "receiver's conflicts list (one row), never the whole bundle",
                (
                    "sync/test_crafted_values.py::"
                    "test_values_that_parse_only_together_never_cut_another_office_off",
                    "sync/test_crafted_values.py::"
                    "test_an_office_keeps_out_a_value_it_cannot_read_and_takes_the_rest",
                    "sync/test_crafted_values.py::test_a_text_value_with_control_characters_is_kept_out",
                    "sync/test_crafted.py::test_a_value_that_does_not_fit_its_column_is_kept_out",
                    "sync/test_crafted_values.py::test_a_refused_invalid_value_cannot_be_written_back",
                ),
                ("caseworker.sync.tables", "MAX_TEXT", 200_000),
            ),
            B(
                "what an office may write (its own office's records, no settings, no other "
                "office's staff); a change refused whole is one conflict row",
                (
                    "sync/test_crafted.py::test_scope_no_staff_for_another_office",
                    "sync/test_crafted.py::test_scope_no_resident_in_another_offices_community",
                    "sync/test_crafted.py::test_scope_no_district_wide_settings",
                    "sync/test_crafted.py::test_scope_no_moving_a_community_to_another_office",
                    "sync/test_crafted_values.py::test_a_refused_insert_is_one_conflict_row",
                ),
            ),
            B(
                "a clock more than a day ahead is held back, released whole when its time comes",
                (
                    "sync/test_crafted_values.py::test_a_future_insert_is_one_row_and_is_released_whole",
                ),
                ("caseworker.sync.merge", "DAY_MS", 86_400_000),
            ),
            B(
                "at most 16 device ids an office writes with, none another's or the hub's",
                (
                    "services/test_more_input_bounds.py::"
                    "test_a_bundle_declaring_more_devices_than_an_office_has_is_refused",
                    "sync/test_crafted.py::test_scope_claiming_the_hubs_device_is_refused",
                ),
                ("caseworker.district.service", "MAX_DEVICES", 16),
            ),
            B(
                "acknowledgement vectors of at most 5,000 origins",
                (
                    "services/test_more_input_bounds.py::"
                    "test_acknowledgements_for_more_origins_than_a_district_has_are_refused",
                ),
                ("caseworker.sync.exchange", "MAX_ORIGINS", 5000),
            ),
            B(
                "a request for missing photos read up to 1,000 hashes",
                (
                    "services/test_more_input_bounds.py::test_a_photo_request_list_is_read_up_to_its_bound",
                ),
                ("caseworker.sync.photos", "MAX_MISSING", 1000),
            ),
            B(
                "photo files: at most 16 MiB each, JPEG only, ≤ 4096 px a side and 16 million "
                "pixels read from the header before decoding, decoding at 1/8 scale, bytes "
                "matching their hash, as many as the manifest says, stored only when one of "
                "the sender's photo records names them",
                (
                    "sync/test_photo_transfer.py::test_an_oversized_or_undecodable_photo_refuses_the_bundle",
                    "sync/test_photo_transfer.py::test_a_bomb_header_is_refused_before_decoding",
                    "sync/test_photo_transfer.py::test_a_photo_whose_bytes_do_not_match_its_hash_refuses_the_bundle",
                    "sync/test_photo_transfer.py::test_a_truncated_or_miscounted_photo_part_refuses_the_bundle",
                    "sync/test_photo_transfer.py::test_a_raw_frame_with_a_bad_header_is_refused",
                    "sync/test_photo_transfer.py::test_a_valid_photo_no_record_names_is_not_stored",
                ),
                ("caseworker.sync.photos", "MAX_BYTES", 16 * MB),
            ),
            B(
                "scanned page originals (an office's, when the district's setting is on): the "
                "photo files' checks, a first frame naming only a short form code and record, "
                "the code valid and printed by the sending office, the record the office's; "
                "any failure refuses the whole bundle",
                (
                    "sync/test_scan_originals.py::test_a_page_that_is_not_a_bounded_jpeg_refuses_the_bundle",
                    "sync/test_scan_originals.py::test_a_page_over_the_size_cap_refuses_the_bundle",
                    "sync/test_scan_originals.py::test_another_offices_form_or_record_refuses_the_bundle",
                    "sync/test_scan_originals.py::test_a_malformed_form_name_in_a_frame_is_refused",
                ),
            ),
            B(
                "a photo's edge",
                (
                    "sync/test_photo_transfer.py::test_an_oversized_or_undecodable_photo_refuses_the_bundle",
                ),
                ("caseworker.sync.photos", "MAX_EDGE", 4096),
            ),
            B(
                "an import killed anywhere leaves all or nothing",
                ("sync/test_faults.py::test_import_killed_at_random_points_is_all_or_nothing",),
            ),
        ),
    ),
    Input(
        "enrollment file (.cwenroll), at an office",
        "caseworker/sync/enrollment.py",
        (
            B(
                "at most 64 MiB, refused before it is read",
                (
                    "services/test_more_input_bounds.py::test_an_enrollment_file_past_its_size_is_refused_unread",
                ),
                ("caseworker.sync.enrollment", "MAX_FILE", 64 * MB),
            ),
            B(
                "shape, nesting, signature, keys bound to both identities, scrypt cost from a "
                "fixed set (a crafted n = 2**62 never runs); its changes pass the bundle's checks",
                (
                    "sync/test_fuzz_files.py::test_any_damaged_or_crafted_enrollment_file_is_refused",
                    "sync/test_fuzz_files.py::test_the_command_line_refuses_crafted_files_in_one_line",
                ),
                ("caseworker.sync.crypto", "SCRYPT_ALLOWED_N", frozenset({2**14, 2**15, 2**16})),
            ),
        ),
    ),
    Input(
        "child-data key recovery file (.cwchildkey), at an office",
        "caseworker/services/children/recovery.py, caseworker/commands/children.py",
        (
            B(
                "at most 64 KiB",
                (
                    "services/test_more_input_bounds.py::test_a_recovery_file_past_its_size_is_refused_unread",
                ),
                ("caseworker.services.children.recovery", "MAX_BYTES", 64 * 1024),
            ),
            B(
                "format, office, the enrolled district's signature, the current key",
                (
                    "sync/test_children_key_recovery.py::test_a_file_for_another_office_or_altered_or_foreign_is_refused",
                ),
            ),
            B(
                "taken in only by an administrator, with their password",
                (
                    "cli/test_commands_need_a_user.py::test_children_recover_needs_the_administrators_password",
                    "sync/test_children_key_recovery.py::test_only_the_administrator_takes_a_recovery_file_in",
                ),
            ),
        ),
    ),
    Input(
        "backup restored (caseworker restore FILE, 备份与恢复)",
        "caseworker/workspace.py restore, db/backup.py unpack, db/verify.py",
        (
            B(
                "unpacked to at most the disk's free room less a margin (a gzip bomb stops)",
                (
                    "services/test_more_input_bounds.py::test_a_backup_that_inflates_past_the_free_disk_is_refused",
                ),
            ),
            B(
                "verified as a genuine workspace of its revision before anything changes "
                "(structure, integrity, keys, journal, no triggers); damaged archives refused",
                (
                    "services/test_restore_checks.py::test_restore_refuses_what_is_not_a_genuine_workspace",
                    "services/test_backup.py::test_restore_refuses_a_broken_or_foreign_file",
                    "services/test_restore_checks.py::test_any_command_refuses_an_altered_workspace_at_open",
                ),
            ),
            B(
                "password hashes run only with a scrypt cost from a fixed set",
                (
                    "services/test_accounts.py::test_a_doctored_hash_is_refused_without_running_its_cost",
                ),
                ("caseworker.passwords", "ALLOWED_N", frozenset({2**14, 2**15, 2**16, 2**17})),
            ),
        ),
    ),
    Input(
        "roster file (.xlsx, .xls, .csv) and every other import that reads a spreadsheet",
        "caseworker/services/tabular/readers.py (the shared reading layer)",
        (
            B(
                "at most 32 MiB on disk",
                (
                    "services/test_roster_bounds.py::test_a_big_file_on_disk_is_refused_before_it_is_read",
                ),
                ("caseworker.services.tabular.readers", "MAX_FILE_BYTES", 32 * MB),
            ),
            B(
                ".xlsx at most 256 MiB inflated, from the zip's directory, before inflating",
                (
                    "services/test_roster_bounds.py::test_a_small_xlsx_holding_a_gigabyte_cell_is_refused_in_seconds",
                ),
                ("caseworker.services.tabular.readers", "MAX_INFLATED_BYTES", 256 * MB),
            ),
            B(
                "at most 100,000 rows in the file, counted before cells are parsed",
                (
                    "services/test_roster_bounds.py::test_a_million_row_xlsx_is_refused_in_seconds",
                    "services/test_roster_bounds.py::test_a_csv_of_too_many_rows_is_refused_in_seconds",
                    "services/test_roster_bounds.py::test_the_command_line_refuses_a_bomb_in_one_line",
                ),
                ("caseworker.services.tabular.readers", "MAX_ROWS", 100_000),
            ),
            B(
                "at most 3,000,000 cells in an .xlsx, counted before they are parsed",
                (
                    "services/test_roster_bounds.py::"
                    "test_more_cells_than_a_roster_has_are_refused_before_they_are_parsed",
                ),
                ("caseworker.services.tabular.readers", "MAX_CELLS", 3_000_000),
            ),
            B(
                "at most 104 columns (CZ) read per row: a cell at column XFD does not pad rows",
                (
                    "services/test_roster_bounds.py::test_a_row_reaching_column_xfd_does_not_build_wide_rows",
                ),
                ("caseworker.services.tabular.readers", "MAX_COLUMNS", 104),
            ),
            B(
                "a cell at most 32,767 characters (Excel's own limit)",
                (
                    "services/test_roster_bounds.py::test_a_cell_longer_than_excel_allows_is_refused_before_it_is_read",
                    "services/test_roster_bounds.py::test_a_csv_cell_past_pythons_field_limit_is_a_clear_refusal",
                ),
                ("caseworker.services.tabular.readers", "MAX_CELL_CHARS", 32_767),
            ),
            B(
                "a damaged file of any format is one line (never 发生了意外错误), nothing changed",
                (
                    "services/test_roster_bounds.py::test_a_garbage_xls_is_a_clear_refusal",
                    "services/test_fuzz_rosters_and_photos.py::test_any_damaged_roster_is_read_or_refused_cleanly",
                    "services/test_fuzz_rosters_and_photos.py::test_every_xml_edit_of_an_xlsx_is_read_or_refused_cleanly",
                    "services/test_fuzz_rosters_and_photos.py::test_the_command_line_reads_or_refuses_damaged_files_in_one_line",
                ),
            ),
            B(
                "control characters taken out of every cell; an ID number's Excel apostrophe",
                (
                    "services/test_roster_bounds.py::test_control_characters_are_taken_out_of_every_cell",
                    "services/test_roster_bounds.py::test_a_roster_with_apostrophes_and_control_characters_imports_clean",
                ),
            ),
            B(
                "a formula in a cell comes back out of the import report as text",
                (
                    "services/test_formula_injection.py::test_the_import_report_gives_back_the_files_cells_as_text",
                ),
            ),
        ),
    ),
    Input(
        "photo picked by a caseworker (retrofit before/after)",
        "db/photo_store.py",
        (
            B(
                "at most 40 MiB",
                (
                    "services/test_photo_bounds.py::test_a_file_larger_than_a_phone_photo_is_refused_unread",
                ),
                ("db.photo_store", "MAX_SOURCE_BYTES", 40 * MB),
            ),
            B(
                "JPEG, PNG or HEIC only",
                ("services/test_photo_bounds.py::test_only_the_supported_formats_are_read",),
                ("db.photo_store", "FORMATS", ("JPEG", "PNG")),
            ),
            B(
                "pixels from the header before decoding: a JPEG at most 120 million",
                (
                    "services/test_photo_bounds.py::test_a_small_file_declaring_huge_pixels_is_one_clean_refusal",
                ),
                ("db.photo_store", "MAX_JPEG_PIXELS", 120_000_000),
            ),
            B(
                "a PNG or HEIC at most 24 million (decoded whole: about 310 MB at the peak)",
                (
                    "services/test_photo_bounds.py::test_a_png_of_8900_square_is_refused_in_a_second_without_the_memory",
                    "services/test_photo_bounds.py::test_a_photo_sized_png_is_still_taken",
                ),
                ("db.photo_store", "MAX_OTHER_PIXELS", 24_000_000),
            ),
            B(
                "a file name without control characters",
                (
                    "services/test_photo_bounds.py::test_a_file_name_with_a_control_character_is_refused",
                ),
            ),
            B(
                "any damaged photo is stored or refused in one line, nothing stored",
                (
                    "services/test_fuzz_rosters_and_photos.py::test_any_damaged_photo_is_stored_or_refused_cleanly",
                    "services/test_fuzz_rosters_and_photos.py::test_the_command_line_reads_or_refuses_damaged_files_in_one_line",
                ),
            ),
        ),
    ),
    Input(
        "typed fields (every form of every programme)",
        "the services' cleaners (services/elderly/_common.py), db/journal.py's flush",
        (
            B(
                "each text its length (a name 60 characters, a note 2,000), required ones filled",
                ("services/test_control_characters.py::test_typed_text_is_bounded_in_length",),
            ),
            B(
                "no control characters stored (NUL, escapes, bidirectional overrides), line "
                "breaks and tabs kept; a name of only control characters is empty",
                (
                    "services/test_control_characters.py::test_typed_text_loses_control_characters_in_every_programme",
                    "services/test_control_characters.py::test_the_journaling_flush_takes_them_out_of_any_text_column",
                    "services/test_control_characters.py::test_a_required_field_of_only_control_characters_is_empty",
                ),
            ),
            B(
                "search strings at most 50 characters",
                (
                    "ui/test_search_box_length.py::test_roster_search_box_is_capped",
                    "cli/test_logs_help_and_json.py::test_a_10000_character_search_is_capped_and_never_reaches_the_log",
                ),
                ("caseworker.domain.search", "MAX_SEARCH", 50),
            ),
            B(
                "ID numbers: 18 characters with their check, a real birth date; a leading "
                "apostrophe or tab read as Excel's text mark",
                (
                    "domain/test_idnumber.py::test_malformed_numbers_say_what_is_wrong",
                    "domain/test_idnumber.py::test_any_single_digit_change_is_caught",
                    "services/test_roster_bounds.py::test_an_id_number_with_excels_text_apostrophe_or_a_tab_is_read",
                ),
            ),
            B(
                "passwords: the minimum length, letters and digits, not only blanks nor one "
                "repeated character; 5 wrong ones lock the account",
                (
                    "services/test_password_rule.py::test_blank_or_one_repeated_character_is_refused",
                    "services/test_accounts.py::test_login_and_lockout_after_repeated_failures",
                ),
            ),
            B(
                "money (fen) and quantities (hundredths) whole numbers within their bounds",
                (
                    "services/test_typed_money.py::test_a_quantity_that_is_not_a_whole_number_of_hundredths_is_refused",
                    "services/test_typed_money.py::test_a_catalogue_price_that_is_not_whole_fen_is_refused",
                ),
                ("caseworker.domain.retrofit", "MAX_QUANTITY", 999_99),
            ),
            B(
                "a typed name never runs as a formula in any export, report or district output",
                (
                    "services/test_formula_injection.py::test_every_list_of_every_programme_writes_names_as_text",
                    "services/test_formula_injection.py::test_reports_write_community_names_as_text",
                    "services/test_formula_injection.py::test_the_district_report_writes_office_and_community_names_as_text",
                ),
            ),
        ),
    ),
    Input(
        "command-line arguments (caseworker, caseworker-district)",
        "caseworker/clikit.py, caseworker/outfile.py, caseworker/commands/",
        (
            B(
                "usage errors, files and folders that are not what they should be, values "
                "read by their column's type (correct): one Chinese line, exit 2",
                (
                    "cli/test_failure_matrix.py::test_refused_cleanly_in_process",
                    "cli/test_failure_matrix.py::test_refused_cleanly_as_a_process",
                ),
            ),
            B(
                "what only some accounts may read or change needs --user and its password: "
                "child lists, export audit/conflicts, sync conflicts, children recover",
                (
                    "cli/test_commands_need_a_user.py::test_export_of_the_audit_trail_or_conflicts_needs_a_user_with_the_right",
                    "cli/test_commands_need_a_user.py::test_sync_conflicts_need_a_user_and_deciding_one_the_supervisors_right",
                    "cli/test_commands_need_a_user.py::test_children_recover_needs_the_administrators_password",
                ),
            ),
        ),
    ),
)


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def test_every_test_the_list_names_exists() -> None:
    missing = []
    for item in INPUTS:
        for bound in item.bounds:
            assert bound.tests, (item.name, bound.what)
            for ref in bound.tests:
                file, _, name = ref.partition("::")
                path = TESTS / file
                if not path.is_file() or name not in _tests_in(path):
                    missing.append(ref)
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(
    "bound",
    [b for item in INPUTS for b in item.bounds if b.constant is not None],
    ids=lambda b: f"{b.constant[0]}.{b.constant[1]}",
)
def test_every_figure_quoted_is_the_codes(bound: Bound) -> None:
    assert bound.constant is not None
    module, name, value = bound.constant
    assert getattr(importlib.import_module(module), name) == value
