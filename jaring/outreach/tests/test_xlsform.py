"""The shipped XLSForm: up to date with its generator, converted by pyxform, codes the registry knows."""

import shutil

import pytest
from pyxform.xls2xform import convert

from jaring.outreach import xlsform


def _xform() -> str:
    warnings: list[str] = []
    result = convert(str(xlsform.FORM_PATH), warnings=warnings)
    assert warnings == [] and result.warnings == []
    return result.xform


def test_committed_workbook_is_what_the_generator_writes():
    committed = xlsform.read_workbook()
    assert list(committed) == ["survey", "choices", "settings"]
    for name, rows in xlsform.sheets().items():
        assert committed[name] == rows, f"run python -m jaring.outreach.xlsform ({name} differs)"


def test_pyxform_converts_it_with_the_members_repeat_and_instance_id():
    xform = _xform()
    assert '<data id="jaring_rumah_tangga" version="2026112501">' in xform
    assert '<repeat nodeset="/data/keluarga/anggota">' in xform
    assert '<anggota jr:template="">' in xform
    assert 'nodeset="/data/meta/instanceID"' in xform and 'jr:preload="uid"' in xform
    assert 'nodeset="/data/keluarga/lokasi" type="geopoint"' in xform
    assert 'nodeset="/data/keluarga/foto_ktp" type="binary"' in xform
    assert 'nodeset="/data/persetujuan" type="string" required="true()"' in xform
    nik_bind = next(line for line in xform.splitlines() if 'nodeset="/data/keluarga/anggota/nik"' in line)
    assert "regex(., '^[0-9]{16}$')" in nik_bind and "substr(., 12, 16) != '0000'" in nik_bind
    assert "Indonesian (id)" in xform and "English (en)" in xform


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs java")
def test_odk_validate_accepts_it():
    convert(str(xlsform.FORM_PATH), validate=True)  # raises ODKValidateError on a bad XPath


def test_choice_codes_are_the_registry_codes(db):
    from jaring.regions.models import Region
    from jaring.registry.models import Occupation, Person

    assert [c for c, *_ in xlsform.RELATIONSHIP] == Person.Relationship.values
    assert [c for c, *_ in xlsform.DISABILITY] == Person.Disability.values
    assert [c for c, *_ in xlsform.CONSENT_BASIS] == Person.ConsentBasis.values
    assert {c for c, *_ in xlsform.occupations()} <= set(Occupation.objects.values_list("code", flat=True))
    kelurahan = {row["name"] for row in xlsform.choice_rows() if row["list_name"] == "kelurahan"}
    assert kelurahan == set(Region.objects.filter(level="kelurahan", code__startswith="96.71.")
                            .values_list("code", flat=True))
    assert len(kelurahan) == 41
