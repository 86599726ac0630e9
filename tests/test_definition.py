from __future__ import annotations

import pytest

from pkgimport.definition import Action, PackageDefinition, escape_rex, is_valid_package_name
from pkgimport.errors import InvalidPackageDefinition, PkgImportError


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("foo", True),
        ("zope.interface", True),
        ("_private", True),
        ("Foo_2", True),
        ("my-package", False),
        ("foo..bar", False),
        (".foo", False),
        ("foo.", False),
        ("", False),
        ("__pycache__", False),
    ],
)
def test_package_names_follow_rez(name: str, valid: bool) -> None:
    assert is_valid_package_name(name) is valid


def test_invalid_name_is_refused_with_the_name_quoted() -> None:
    with pytest.raises(InvalidPackageDefinition, match="'my-package'") as info:
        PackageDefinition(name="my-package", version="1")
    assert isinstance(info.value, PkgImportError)


def test_definition_is_immutable_and_its_mappings_too() -> None:
    d = PackageDefinition(name="foo", version="1.0", metadata={"pypi": {"name": "Foo"}})
    with pytest.raises(AttributeError):
        d.name = "bar"  # type: ignore[misc]
    with pytest.raises(TypeError):
        d.metadata["scoop"] = {}  # type: ignore[index]


def test_variant_requires_concatenates_common_and_variant_requirements() -> None:
    d = PackageDefinition(
        name="foo", version="1", requires=("bar-1",), variants=(("python-3.11",), ("python-3.12",))
    )
    assert d.variant_requires(1) == ("bar-1", "python-3.12")
    assert d.variant_requires(None) == ("bar-1",)
    assert d.qualified_name == "foo-1"
    assert PackageDefinition(name="foo").qualified_name == "foo"


def test_structured_commands_and_native_commands_source_are_exclusive() -> None:
    with pytest.raises(InvalidPackageDefinition, match="both"):
        PackageDefinition(
            name="foo",
            commands=(Action.set("X", "1"),),
            functions={"commands": "def commands():\n    pass\n"},
        )


@pytest.mark.parametrize("bad", ["", "1X", "A-B", "A B", "X;rm"])
def test_env_action_refuses_invalid_variable_names(bad: str) -> None:
    with pytest.raises(InvalidPackageDefinition, match="environment variable"):
        Action.set(bad, "v")


def test_alias_names_are_checked() -> None:
    assert Action.alias("python3.11", "{root}/bin/python").key == "python3.11"
    with pytest.raises(InvalidPackageDefinition, match="alias"):
        Action.alias("a b", "x")


def test_actions_round_trip_through_dicts() -> None:
    action = Action.prepend("PATH", "{root}/bin", literal=False)
    assert Action.from_dict(action.to_dict()) == action
    with pytest.raises(InvalidPackageDefinition, match="'exec'"):
        Action.from_dict({"kind": "exec"})


def test_escape_rex_doubles_braces() -> None:
    assert escape_rex("{root}/x}") == "{{root}}/x}}"


def test_invalid_long_names_are_refused_quickly() -> None:
    # rez's own pattern backtracks exponentially here; ours must answer at once.
    assert not is_valid_package_name("a" * 5000 + "-")


def test_parse_errors_are_value_errors_that_take_a_hint() -> None:
    from pkgimport.errors import InvalidRequirement, InvalidVersion  # noqa: PLC0415

    for cls in (InvalidVersion, InvalidRequirement, InvalidPackageDefinition):
        error = cls("bad 'x'", hint="write it so")
        assert isinstance(error, ValueError)
        assert isinstance(error, PkgImportError)
        assert (str(error), error.hint) == ("bad 'x'", "write it so")
