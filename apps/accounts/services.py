from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts.models import Organisation, User
from apps.core import changes
from apps.core.exceptions import ApplicationError


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    organisation: Organisation | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    profession: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    is_interface: bool = False,
    validate: bool = True,
) -> User:
    """Creates a user with a Django-hashed password checked against the password rules."""
    user = User(
        username=username,
        organisation=organisation,
        first_name=first_name,
        last_name=last_name,
        email=email,
        profession=profession,
        is_staff=is_staff,
        is_superuser=is_superuser,
        is_interface=is_interface,
    )
    if password is None:
        user.set_unusable_password()
    else:
        if validate:
            try:
                validate_password(password, user)
            except ValidationError as error:
                raise ApplicationError(
                    "The password is too weak.", field_errors={"password": error.messages}
                ) from error
        user.set_password(password)
    changes.validate(user, message="The user is not valid.")
    user.save()
    return user


def organisation_create(
    *, name: str, country: str = "US", subdivision: str = "", **extra: Any
) -> Organisation:
    organisation = Organisation(name=name, country=country, subdivision=subdivision, **extra)
    changes.validate(organisation, message="The organisation is not valid.")
    organisation.save()
    return organisation
