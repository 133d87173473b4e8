"""drf-spectacular extensions for Raccordo's own serializer fields."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_array_type, build_basic_type, build_choice_field
from drf_spectacular.types import OpenApiTypes


class ContactPointsFieldExtension(OpenApiSerializerFieldExtension):
    """Phones/e-mails: a list of strings in requests, a list of objects in responses."""

    target_class = "raccordo.api.fields.ContactPointsField"

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {**build_array_type(build_basic_type(OpenApiTypes.STR)), "maxItems": self.target.max_items}
        component = auto_schema.resolve_serializer(self.target.serializer_class, direction)
        return build_array_type(component.ref)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    """A NamedChoiceField as a reference to its own enum component."""

    target_class = "raccordo.api.fields.NamedChoiceField"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = build_choice_field(field)
        schema.pop("x-spec-enum-id", None)
        component = ResolvedComponent(name=field.enum_name, type=ResolvedComponent.SCHEMA, schema=schema,
                                      object=field.enum_name)
        auto_schema.registry.register_on_missing(component)
        return component.ref


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    """Personal tokens in the schema, so Swagger UI offers an "Authorize" box for them."""

    target_class = "raccordo.api.authentication.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "rcd_…",
                "description": "A personal API token from the token page or POST /api/v1/auth/token/."}
