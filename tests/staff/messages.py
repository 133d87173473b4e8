"""HR-XML documents in the shapes the notes on Bitrix's receiver establish (docs/1c.md, "Staff from 1C:ZUP").

No real ZUP message is public, so each is written twice: with the HR-XML namespace as default (no prefixes)
and with every element prefixed (`hr:`/`oa:`), and sent in UTF-8 or windows-1251.
"""

from __future__ import annotations

import re

HR_NS = "http://www.hr-xml.org/3"
OA_NS = "http://www.openapplications.org/oagis/9"
PERSON = "ФизическоеЛицо"


def bod(root: str, noun_xml: str, *, bod_id: str = "BOD-1", verb: str = "<Sync/>", prefixed: bool = False,
        encoding: str = "UTF-8") -> bytes:
    """A whole business object document around `noun_xml`, optionally with every element prefixed."""
    body = (f'<{root} releaseID="3.2"><ApplicationArea><Sender><LogicalID>ZUP</LogicalID>'
            f'<ComponentID>HR</ComponentID></Sender><CreationDateTime>2026-12-01T10:00:00</CreationDateTime>'
            f'<BODID>{bod_id}</BODID></ApplicationArea><DataArea>{verb}{noun_xml}</DataArea></{root}>')
    if prefixed:
        body = re.sub(r"<(/?)([A-Za-z]+)", lambda m: f"<{m.group(1)}hr:{m.group(2)}", body)
        body = body.replace(f'<hr:{root} ', f'<hr:{root} xmlns:hr="{HR_NS}" xmlns:oa="{OA_NS}" ', 1)
    else:
        body = body.replace(f"<{root} ", f'<{root} xmlns="{HR_NS}" ', 1)
    return f'<?xml version="1.0" encoding="{encoding}"?>'.encode() + body.encode(
        "cp1251" if encoding.lower() == "windows-1251" else "utf-8")


def org_unit(unit_id: str, name: str, parent_id: str = "", parent_name: str = "") -> str:
    parent = (f"<ParentOrganizationUnit><OrganizationUnitID>{parent_id}</OrganizationUnitID>"
              f"<OrganizationName>{parent_name}</OrganizationName></ParentOrganizationUnit>") if parent_id else ""
    return (f"<OrganizationChart><OrganizationUnit><OrganizationUnitID>{unit_id}</OrganizationUnitID>"
            f"<OrganizationUnitName>{name}</OrganizationUnitName>{parent}</OrganizationUnit></OrganizationChart>")


def person(person_id: str, *, employee_id: str, first: str, last: str, middle: str = "", email: str = "",
           phone: str = "", title: str = "", units: tuple[tuple[str, str], ...] = (), last_worked: str = "",
           gender: str = "Male", birth: str = "1980-05-17") -> str:
    comms = (f"<Communication><ChannelCode>Email</ChannelCode><URI>{email}</URI></Communication>" if email else "")
    comms += (f"<Communication><ChannelCode>Telephone</ChannelCode><UseCode>Mobile</UseCode>"
              f"<FormattedNumber>{phone}</FormattedNumber></Communication>" if phone else "")
    orgs = "".join(f'<OrganizationIdentifiers><OrganizationID schemeID="GUID">{u}</OrganizationID>'
                   f"<OrganizationName>{n}</OrganizationName></OrganizationIdentifiers>" for u, n in units)
    term = (f"<IndicativeEmployment><EmploymentLifecycle><Termination><LastWorkedDate>{last_worked}"
            f"</LastWorkedDate></Termination></EmploymentLifecycle></IndicativeEmployment>") if last_worked else ""
    return (f"<IndicativeData><IndicativePersonDossier>"
            f"<IndicativePerson><PersonID schemeID=\"GUID\" schemeName=\"{PERSON}\">{person_id}</PersonID>"
            f"<PersonName validFrom=\"2001-01-01\"><LegalName>Old</LegalName><FamilyName>Old</FamilyName></PersonName>"
            f"<PersonName validFrom=\"2020-01-01\"><LegalName>{first}</LegalName><FamilyName>{last}</FamilyName>"
            f"<MiddleName>{middle}</MiddleName></PersonName><GenderCode>{gender}</GenderCode>"
            f"<BirthDate>{birth}</BirthDate>{comms}</IndicativePerson>"
            f"<IndicativeEmployee><EmployeeID schemeID=\"GUID\">{employee_id}</EmployeeID></IndicativeEmployee>"
            f"{term}<IndicativeDeployment><Job><JobTitle>{title}</JobTitle></Job>"
            f"<DeploymentOrganization>{orgs}</DeploymentOrganization></IndicativeDeployment>"
            f"</IndicativePersonDossier></IndicativeData>")


def time_card(person_id: str, items: list[tuple[str, str, str, str]]) -> str:
    """items: (code, name, start, end)."""
    reported = "".join(
        f"<TimeCardReportedItem><TimeInterval><TimeIntervalTypeCode name=\"{name}\">{code}</TimeIntervalTypeCode>"
        f"<FreeFormEffectivePeriod><StartDate><FormattedDateTime>{start}</FormattedDateTime></StartDate>"
        f"<EndDate><FormattedDateTime>{end}</FormattedDateTime></EndDate></FreeFormEffectivePeriod>"
        f"</TimeInterval></TimeCardReportedItem>" for code, name, start, end in items)
    return (f"<TimeCard><ReportedResource><SpecifiedPerson><PersonID schemeID=\"GUID\" schemeName=\"{PERSON}\">"
            f"{person_id}</PersonID></SpecifiedPerson></ReportedResource>{reported}</TimeCard>")


def staffing(assignment_id: str, person_id: str, status: str, unit_id: str, title: str, start: str) -> str:
    return (f"<StaffingAssignment><StaffingReferenceIDs><StaffingAssignmentID>{assignment_id}"
            f"</StaffingAssignmentID></StaffingReferenceIDs><ResourcePerson>"
            f"<PersonID schemeID=\"GUID\" schemeName=\"{PERSON}\">{person_id}</PersonID>"
            f"<PersonName><FormattedName>X</FormattedName></PersonName></ResourcePerson>"
            f"<StaffingAssignmentStatusCode>{status}</StaffingAssignmentStatusCode>"
            f"<ResourceDeployment><DeploymentOrganization><OrganizationIdentifiers>"
            f"<OrganizationID schemeID=\"GUID\">{unit_id}</OrganizationID></OrganizationIdentifiers>"
            f"</DeploymentOrganization><StaffingJob><JobTitle>{title}</JobTitle></StaffingJob></ResourceDeployment>"
            f"<AssignmentAvailability><StartDate><FormattedDateTime>{start}</FormattedDateTime></StartDate>"
            f"</AssignmentAvailability></StaffingAssignment>")


def position(position_id: str, title: str, start: str, status: str = "") -> str:
    code = f"<PositionOpeningStatusCode>{status}</PositionOpeningStatusCode>" if status else ""
    return (f"<PositionOpening>{code}<PositionProfile><PositionID>{position_id}</PositionID>"
            f"<PositionTitle>{title}</PositionTitle><PositionPeriod><StartDate><FormattedDateTime>{start}"
            f"</FormattedDateTime></StartDate></PositionPeriod><PositionFormattedDescription><Name>Duties</Name>"
            f"<Content>Sell</Content></PositionFormattedDescription></PositionProfile></PositionOpening>")
