"""AWS CloudTrail records (`{"Records": [...]}` files or JSON lines) with the cloudtrail
plugin's ct.*, s3.*, ec2.*, ecr.* fields (falcosecurity/plugins plugins/cloudtrail README).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from seawall.detect.sources.base import MISSING, BadLine, EventSource, FieldDef
from seawall.detect.sources.jsonstream import read_batches
from seawall.detect.sources.plugin_common import as_text, common_fields, get_path, path_field

Event = dict[str, Any]


def _user(ev: Event, arg: str | None) -> Any:
    ident = ev.get("userIdentity")
    if not isinstance(ident, dict):
        return MISSING
    if ident.get("type") == "AssumedRole":
        issuer = get_path(ident, "sessionContext", "sessionIssuer", "userName")
        if issuer is not MISSING:
            return as_text(issuer)
        arn = ident.get("arn")
        return as_text(str(arn).split("/")[-2]) if arn and str(arn).count("/") >= 2 else MISSING
    if ident.get("type") == "Root":
        return as_text(ident.get("userName", "root"))
    return as_text(ident.get("userName", MISSING))


def _original_user(ev: Event, arg: str | None) -> Any:
    ident = ev.get("userIdentity")
    if not isinstance(ident, dict):
        return MISSING
    if ident.get("type") == "AssumedRole":
        arn = str(ident.get("arn", ""))
        return arn.rsplit("/", 1)[-1] if arn else MISSING
    return as_text(ident.get("userName", MISSING))


def _request(key: str) -> Any:
    return lambda ev, arg: as_text(get_path(ev, "requestParameters", key))


def _short_src(ev: Event, arg: str | None) -> Any:
    src = ev.get("eventSource")
    return str(src).removesuffix(".amazonaws.com") if src else MISSING


def _readonly(ev: Event, arg: str | None) -> Any:
    value = ev.get("readOnly")
    if value is not None:
        return as_text(value)
    name = str(ev.get("eventName", ""))
    return "true" if name.startswith(("Get", "Describe", "List", "Head")) else "false"


def _s3_bucket(ev: Event, arg: str | None) -> Any:
    return as_text(get_path(ev, "requestParameters", "bucketName"))


def _s3_key(ev: Event, arg: str | None) -> Any:
    return as_text(get_path(ev, "requestParameters", "key"))


def _bytes(key: str) -> Any:
    def extract(ev: Event, arg: str | None) -> Any:
        value = get_path(ev, "additionalEventData", key)
        return int(value) if isinstance(value, int | float) else MISSING

    return extract


def _image_ids(ev: Event, arg: str | None) -> Any:
    items = get_path(ev, "responseElements", "instancesSet", "items")
    if not isinstance(items, list):
        return MISSING
    ids = [str(i["imageId"]) for i in items if isinstance(i, dict) and "imageId" in i]
    if arg is None:
        return ids or MISSING
    try:
        return ids[int(arg)]
    except (ValueError, IndexError):
        return MISSING


def _time(ev: Event) -> str | None:
    value = ev.get("eventTime")
    return str(value) if value else None


FIELDS = [
    path_field("ct.id", "eventID"),
    path_field("ct.error", "errorCode"),
    path_field("ct.errormessage", "errorMessage"),
    path_field("ct.time", "eventTime"),
    path_field("ct.src", "eventSource"),
    FieldDef("ct.shortsrc", _short_src),
    path_field("ct.name", "eventName"),
    FieldDef("ct.user", _user),
    FieldDef("ct.originaluser", _original_user),
    path_field("ct.user.accountid", "userIdentity", "accountId"),
    path_field("ct.user.identitytype", "userIdentity", "type"),
    path_field("ct.user.principalid", "userIdentity", "principalId"),
    path_field("ct.user.arn", "userIdentity", "arn"),
    path_field("ct.region", "awsRegion"),
    path_field("ct.response.subnetid", "responseElements", "subnetId"),
    path_field("ct.response.reservationid", "responseElements", "reservationId"),
    path_field("ct.response", "responseElements"),
    path_field("ct.request", "requestParameters"),
    path_field("ct.srcip", "sourceIPAddress"),
    path_field("ct.useragent", "userAgent"),
    FieldDef("ct.info", lambda ev, arg: as_text(ev.get("eventName"))),
    FieldDef(
        "ct.managementevent",
        lambda ev, arg: as_text(ev.get("managementEvent", MISSING)),
    ),
    FieldDef("ct.readonly", _readonly),
    path_field("ct.requestid", "requestID"),
    path_field("ct.eventtype", "eventType"),
    path_field("ct.apiversion", "apiVersion"),
    path_field("ct.resources", "resources"),
    path_field("ct.recipientaccountid", "recipientAccountId"),
    path_field("ct.serviceeventdetails", "serviceEventDetails"),
    path_field("ct.sharedeventid", "sharedEventID"),
    path_field("ct.vpcendpointid", "vpcEndpointId"),
    path_field("ct.eventcategory", "eventCategory"),
    path_field("ct.addendum.reason", "addendum", "reason"),
    path_field("ct.addendum.updatedfields", "addendum", "updatedFields"),
    path_field("ct.addendum.originalrequestid", "addendum", "originalRequestID"),
    path_field("ct.addendum.originaleventid", "addendum", "originalEventID"),
    path_field("ct.sessioncredentialfromconsole", "sessionCredentialFromConsole"),
    path_field("ct.edgedevicedetails", "edgeDeviceDetails"),
    path_field("ct.tlsdetails.tlsversion", "tlsDetails", "tlsVersion"),
    path_field("ct.tlsdetails.ciphersuite", "tlsDetails", "cipherSuite"),
    path_field("ct.tlsdetails.clientprovidedhostheader", "tlsDetails", "clientProvidedHostHeader"),
    path_field("ct.additionaleventdata", "additionalEventData"),
    FieldDef("s3.bucket", _s3_bucket),
    FieldDef("s3.key", _s3_key),
    FieldDef(
        "s3.uri",
        lambda ev, arg: (
            f"s3://{b}/{get_path(ev, 'requestParameters', 'key')}"
            if (b := _s3_bucket(ev, arg)) is not MISSING
            else MISSING
        ),
    ),
    FieldDef("s3.bytes.in", _bytes("bytesTransferredIn"), type="uint64"),
    FieldDef("s3.bytes.out", _bytes("bytesTransferredOut"), type="uint64"),
    FieldDef(
        "s3.bytes",
        lambda ev, arg: (
            (a if isinstance(a := _bytes("bytesTransferredIn")(ev, arg), int) else 0)
            + (b if isinstance(b := _bytes("bytesTransferredOut")(ev, arg), int) else 0)
        ),
        type="uint64",
    ),
    FieldDef("s3.cnt.get", lambda ev, arg: int(ev.get("eventName") == "GetObject"), type="uint64"),
    FieldDef("s3.cnt.put", lambda ev, arg: int(ev.get("eventName") == "PutObject"), type="uint64"),
    FieldDef(
        "s3.cnt.other",
        lambda ev, arg: int(ev.get("eventName") not in ("GetObject", "PutObject")),
        type="uint64",
    ),
    FieldDef(
        "ec2.name",
        lambda ev, arg: as_text(
            next(
                (
                    t.get("value")
                    for t in get_path(ev, "requestParameters", "tagSpecificationSet", "items") or []
                    if isinstance(t, dict)
                    for t in (t.get("tags") or [])
                    if isinstance(t, dict) and t.get("key") == "Name"
                ),
                MISSING,
            )
        ),
    ),
    FieldDef(
        "ec2.imageid",
        lambda ev, arg: ids[0] if isinstance(ids := _image_ids(ev, None), list) else MISSING,
    ),
    FieldDef("ec2.imageids", _image_ids, is_list=True, arg="optional"),
    path_field("ecr.repository", "requestParameters", "repositoryName"),
    path_field("ecr.imagetag", "requestParameters", "imageTag"),
]
for _key in (
    "availabilityzone:availabilityZone",
    "cluster:cluster",
    "functionname:functionName",
    "groupname:groupName",
    "host:host",
    "name:name",
    "policy:policy",
    "reason:reason",
    "target:target",
    "documentname:documentName",
    "serialnumber:serialNumber",
    "servicename:serviceName",
    "subnetid:subnetId",
    "taskdefinition:taskDefinition",
    "username:userName",
):
    _short, _json = _key.split(":")
    FIELDS.append(FieldDef(f"ct.request.{_short}", _request(_json)))


def records(value: Any) -> list[Event] | None:
    if isinstance(value, dict) and isinstance(value.get("Records"), list):
        return [r for r in value["Records"] if isinstance(r, dict)]
    if isinstance(value, dict) and "eventName" in value:
        return [value]
    return None


def read(stream: IO[bytes], name: str) -> Iterator[tuple[int, Event] | BadLine]:
    return read_batches(stream, name, records, "not a CloudTrail record or Records file")


def asset_of(ev: Event) -> str:
    account = ev.get("recipientAccountId") or get_path(ev, "userIdentity", "accountId")
    region = ev.get("awsRegion", "")
    src = str(ev.get("eventSource", "aws")).removesuffix(".amazonaws.com")
    return f"aws:{account if account is not MISSING else ''}/{region}/{src}"


SOURCE = EventSource(
    name="cloudtrail",
    falco_source="aws_cloudtrail",
    fields={f.name: f for f in [*FIELDS, *common_fields(_time, "cloudtrail")]},
    read=read,
    time_of=_time,
    # every field of the 0.13.0 release (iam.role/iam.policy came after it); json.*
    plugins=(("cloudtrail", "0.13.0"), ("json", "0.7.0")),
)
