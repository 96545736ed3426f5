"""template.yaml: it lints, it translates offline as `sam package` + CloudFormation would see it, and it keeps
the promises the code relies on (tenant attribute immutable, least-privilege roles, stream, runtimes)."""

from __future__ import annotations

import json
import re
from typing import Any

from cfnlint.api import lint

from tests.support import ROOT, as_list, resources_of, source, statements, template_text, translated

DATA_PREFIXES = ("dynamodb:", "s3:", "sqs:", "events:", "secretsmanager:")
EXPECTED_ENVIRONMENT = {
    "TABLE_NAME",
    "IDEMPOTENCY_TABLE_NAME",
    "EVENT_BUS_NAME",
    "EVENT_SOURCE",
    "HMAC_SECRET_ARN",
    "PUBLIC_BASE_URL",
    "CORS_ALLOW_ORIGIN",
    "POWERTOOLS_METRICS_NAMESPACE",
    "POWERTOOLS_LOG_LEVEL",
    "LOG_LEVEL",
    "POWERTOOLS_LOGGER_LOG_EVENT",
    "POWERTOOLS_TRACER_CAPTURE_RESPONSE",
    "POWERTOOLS_TRACER_CAPTURE_ERROR",
    "POWERTOOLS_SERVICE_NAME",
}


def lint_errors(text: str) -> list[str]:
    return [str(match) for match in lint(text) if match.rule.id.startswith("E")]


def test_cfn_lint_reports_no_errors_on_the_template():
    # Given the SAM template as written
    # When cfn-lint checks it (it also runs the SAM transform itself)
    errors = lint_errors(template_text())
    # Then nothing it reports is an error
    assert errors == []


def test_the_template_translates_offline_and_the_result_lints_clean():
    # Given the template translated the way CloudFormation's SAM transform would
    output = translated()
    # When cfn-lint checks the plain CloudFormation (circular dependencies, bad references, bad properties)
    errors = lint_errors(json.dumps(output))
    # Then there are no errors, and every serverless function became a Lambda function with a role
    assert errors == []
    functions = resources_of(source(), "AWS::Serverless::Function")
    assert set(resources_of(output, "AWS::Lambda::Function")) == set(functions)
    assert {f"{name}Role" for name in functions} <= set(resources_of(output, "AWS::IAM::Role"))


def test_the_api_has_only_its_own_stage():
    # Given the translated API
    output = translated()
    # When its deployments and stages are listed
    deployments = resources_of(output, "AWS::ApiGateway::Deployment").values()
    stages = resources_of(output, "AWS::ApiGateway::Stage").values()
    # Then no deployment makes SAM's extra stage named "Stage"; the one stage is the StageName parameter's
    assert all("StageName" not in d["Properties"] for d in deployments)
    assert [s["Properties"]["StageName"] for s in stages] == [{"Ref": "StageName"}]


def test_the_merchant_id_is_immutable_and_no_user_can_write_tenant_or_tags():
    # Given the user pool and its app client
    pool = source()["Resources"]["UserPool"]["Properties"]
    client = source()["Resources"]["UserPoolClient"]["Properties"]
    schema = {attribute["Name"]: attribute for attribute in pool["Schema"]}
    # When the custom attributes and the client's write permissions are read
    writable = set(client["WriteAttributes"])
    # Then the tenant never changes, tags are platform-managed, and the client reads both but writes neither
    assert schema["merchant_id"]["Mutable"] is False
    assert schema["tags"]["Mutable"] is True
    assert not writable & {"custom:merchant_id", "custom:tags", "custom:store_id"}
    assert all(not name.startswith("custom:") for name in writable)
    assert {"custom:merchant_id", "custom:tags", "custom:store_id"} <= set(client["ReadAttributes"])
    assert client.get("GenerateSecret", False) is False


def test_every_function_runs_python_3_12_or_newer_on_arm64_from_a_folder_under_functions():
    # Given every function as deployed and as written
    deployed = resources_of(translated(), "AWS::Lambda::Function")
    written = resources_of(source(), "AWS::Serverless::Function")
    assert deployed
    for name, function in deployed.items():
        properties = function["Properties"]
        # When its runtime and architecture are read
        match = re.fullmatch(r"python3\.(\d+)", properties["Runtime"])
        # Then it is Python 3.12 or newer on arm64
        assert match and int(match.group(1)) >= 12, (name, properties["Runtime"])
        assert properties["Architectures"] == ["arm64"], name
    for name, function in written.items():
        # And its code folder is under functions/
        folder = (ROOT / function["Properties"]["CodeUri"]).resolve()
        assert folder.is_relative_to(ROOT / "functions"), (name, folder)


def test_every_function_gets_the_shared_environment_and_names_its_own_service():
    # Given every deployed function
    for name, function in resources_of(translated(), "AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        # When its environment is read
        # Then it has the shared settings, the shared layer, and its own service name
        assert set(variables) >= EXPECTED_ENVIRONMENT, name
        assert variables["TABLE_NAME"] == {"Ref": "CouponsTable"}
        assert variables["PUBLIC_BASE_URL"] == {"Ref": "PublicBaseUrl"}
        assert variables["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
        assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
        assert variables["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"
        assert variables["POWERTOOLS_SERVICE_NAME"] == name.removesuffix("Function").lower()
        assert len(function["Properties"]["Layers"]) == 1


def test_only_the_functions_that_build_customer_links_get_the_web_apps_url_which_has_no_default():
    # Given the template's parameters and every deployed function's environment
    parameters = source()["Parameters"]
    functions = resources_of(translated(), "AWS::Lambda::Function")
    # Then the web app's URL is a required https origin (the app is served at its root; CORS names it)
    web = parameters["PublicWebUrl"]
    assert "Default" not in web
    assert re.match(web["AllowedPattern"], "https://coupons.example.com")
    assert re.match(web["AllowedPattern"], "https://coupons.example.com:8443")
    for wrong in ("http://coupons.example.com", "https://coupons.example.com/", "https://example.com/app"):
        assert not re.match(web["AllowedPattern"], wrong), wrong
    # And only the functions that build offer and share links have it
    having = {
        name: function["Properties"]["Environment"]["Variables"].get("PUBLIC_WEB_URL")
        for name, function in functions.items()
        if "PUBLIC_WEB_URL" in function["Properties"]["Environment"]["Variables"]
    }
    assert having == {name: {"Ref": "PublicWebUrl"} for name in ("CouponsFunction", "GiftFunction")}


def test_no_data_action_is_granted_on_every_resource():
    # Given every inline IAM statement of the translated template
    found = statements(translated())
    data_statements = 0
    for name, statement in found:
        actions = [a for a in as_list(statement.get("Action", [])) if a.lower().startswith(DATA_PREFIXES)]
        if statement.get("Effect") != "Allow" or not actions:
            continue
        data_statements += 1
        # When a statement allows a data action
        # Then it names its resources: no wildcard resource, and no wildcard action on a service
        assert "*" not in as_list(statement["Resource"]), (name, statement)
        assert not any(a.endswith(":*") for a in actions), (name, statement)
        # And no DynamoDB transaction "action" (transactions are authorised per item action)
        assert not any(a.startswith("dynamodb:Transact") for a in actions), (name, statement)
    assert data_statements >= 3


def test_the_publisher_reads_the_stream_and_sends_failures_to_its_dead_letter_queue():
    # Given the translated stream mapping and the publisher's role
    output = translated()
    (mapping,) = [
        m
        for m in resources_of(output, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": "PublisherFunction"}
    ]
    role = [s for name, s in statements(output) if name == "PublisherFunctionRole"]
    properties = mapping["Properties"]
    # When its settings are read
    # Then failures are reported per record, retried in halves, and land on the queue it may send to
    assert properties["EventSourceArn"] == {"Fn::GetAtt": ["CouponsTable", "StreamArn"]}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    dlq = {"Fn::GetAtt": ["PublisherDeadLetterQueue", "Arn"]}
    assert properties["DestinationConfig"]["OnFailure"]["Destination"] == dlq
    assert any("sqs:SendMessage" in as_list(s["Action"]) and s["Resource"] == dlq for s in role)
    assert any("events:PutEvents" in as_list(s["Action"]) for s in role)


def test_uploads_reach_the_import_function_through_a_queue_with_a_dead_letter_queue():
    # Given the translated template
    output = translated()
    bucket = output["Resources"]["ImportBucket"]["Properties"]
    (notification,) = [
        n
        for n in bucket["NotificationConfiguration"]["QueueConfigurations"]
        if n["Queue"] == {"Fn::GetAtt": ["ImportQueue", "Arn"]}
    ]
    (mapping,) = [
        m
        for m in resources_of(output, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": "ImportWorkerFunction"}
    ]
    queue = output["Resources"]["ImportQueue"]["Properties"]
    function = output["Resources"]["ImportWorkerFunction"]["Properties"]
    # Then only objects under imports/ are announced, one message at a time, failures redriven to a DLQ
    assert notification["Queue"] == {"Fn::GetAtt": ["ImportQueue", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "imports/"}]
    assert mapping["Properties"]["BatchSize"] == 1
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ImportDeadLetterQueue", "Arn"]}
    # And the queue hides a message longer than the function can run
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
    # And nobody but the import function's role writes under imports/
    policy = output["Resources"]["ImportBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (only_form,) = [s for s in policy if s.get("Sid") == "ImportsOnlyThroughTheUploadForm"]
    assert only_form["Effect"] == "Deny" and only_form["Action"] == "s3:PutObject"
    assert only_form["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == {
        "Fn::GetAtt": ["ImportFunctionRole", "Arn"]
    }


def test_the_table_streams_both_images_with_recovery_on_demand_billing_and_ttl():
    # Given the coupons table
    table = source()["Resources"]["CouponsTable"]["Properties"]
    # When its settings are read
    # Then its stream carries both images, it can be restored to a point in time, it bills per request,
    # and expired items are cleaned up by TTL on expires_at
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["PK", "SK"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["GSI1", "GSI2", "GSI3", "GSI4"]


def test_gateway_error_bodies_are_json_once_api_gateway_fills_them_in():
    # Given the gateway responses of the API
    responses = source()["Resources"]["CouponsApi"]["Properties"]["GatewayResponses"]
    # When API Gateway substitutes its variables ($context.error.messageString arrives quoted)
    filled = {
        kind: json.loads(
            response["ResponseTemplates"]["application/json"]
            .replace("$context.error.messageString", json.dumps('Say "no"'))
            .replace("$context.error.responseType", "UNAUTHORIZED")
        )
        for kind, response in responses.items()
    }
    # Then every body is JSON with an error code and message, and UNAUTHORIZED is a 401
    assert set(filled) >= {"DEFAULT_4XX", "DEFAULT_5XX", "UNAUTHORIZED"}
    assert all(body["error"]["message"] == 'Say "no"' and body["error"]["code"] for body in filled.values())
    assert responses["UNAUTHORIZED"]["StatusCode"] == "401"
    # And a media type the gateway refuses answers as the functions do (415, naming Content-Type)
    assert responses["UNSUPPORTED_MEDIA_TYPE"]["StatusCode"] == "415"
    assert filled["UNSUPPORTED_MEDIA_TYPE"]["error"]["code"] == "unsupported_media_type"
    assert filled["UNSUPPORTED_MEDIA_TYPE"]["error"]["field"] == "Content-Type"


def test_only_the_docs_and_the_offer_page_are_public():
    # Given the OpenAPI document SAM generated for the API
    body = resources_of(translated(), "AWS::ApiGateway::RestApi")["CouponsApi"]["Properties"]["Body"]
    public = {
        ("get", "/coupons/docs"),
        ("get", "/offers/{couponId}"),
        ("get", "/offers"),
        ("get", "/me/docs"),
        ("get", "/checkout/docs"),
        ("get", "/gifts/{token}"),
        ("get", "/gifts/docs"),
        ("get", "/imports/docs"),
        ("get", "/stores/docs"),
        ("get", "/orders/docs"),
        ("get", "/exports/docs"),
        ("get", "/figures/docs"),
        ("get", "/merchant/issuance-rules/docs"),
        ("get", "/customers/docs"),
        ("get", "/grants/docs"),
        ("get", "/points/docs"),
    }
    operations = {
        (method, path): operation
        for path, methods in body["paths"].items()
        for method, operation in methods.items()
        if method != "options"
    }
    assert ("post", "/coupons") in operations
    for key, operation in operations.items():
        # When an operation's security is read
        schemes = {name for requirement in operation.get("security", []) for name in requirement}
        # Then public pages need no token and everything else needs the Cognito ID token
        assert ("CognitoAuthorizer" not in schemes) == (key in public), key


def test_the_waf_exists_only_when_enabled_and_guards_the_stage():
    # Given the WAF resources
    resources = source()["Resources"]
    acl, association = resources["WebAcl"], resources["WebAclAssociation"]
    rule = acl["Properties"]["Rules"][0]
    # When their conditions and rule are read
    # Then both depend on EnableWaf, and the rate rule blocks per client IP at WafRateLimit
    assert acl["Condition"] == association["Condition"] == "WafEnabled"
    rate = rule["Statement"]["RateBasedStatement"]
    assert rate == {"Limit": {"Ref": "WafRateLimit"}, "AggregateKeyType": "IP"}
    assert "Block" in rule["Action"]
    assert "/stages/${CouponsApi.Stage}" in association["Properties"]["ResourceArn"]["Fn::Sub"]


def test_every_checkov_finding_skipped_in_the_template_gives_its_reason():
    # Given every resource's checkov skips (make lint runs checkov, which fails on any finding not skipped)
    skips = [
        (name, skip)
        for name, resource in source()["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert len(skips) >= 10
    for name, skip in skips:
        # Then each names one check and says why it does not apply here, in a sentence a reviewer can weigh
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
        assert len(skip.get("comment", "").split()) >= 8, (name, skip)


def test_the_api_writes_json_access_logs_without_paths_query_strings_or_credentials():
    # Given the API's stage settings and the log group they write to
    api = source()["Resources"]["CouponsApi"]["Properties"]
    log_group = source()["Resources"]["ApiAccessLogs"]["Properties"]
    setting = api["AccessLogSetting"]
    # When the access log line is filled in as API Gateway would
    variables = set(re.findall(r"\$context\.[A-Za-z.]+", setting["Format"]))
    line = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "x", setting["Format"]))
    # Then it is one JSON object per request, in a log group kept for a set time and encrypted
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert {"requestId", "status", "resourcePath"} <= set(line)
    assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"} and "KmsKeyId" in log_group
    # And it names the route's template, never the path (gift tokens), a query string, a header or a claim
    assert "$context.resourcePath" in variables
    forbidden = ("$context.path", "querystring", "header", "authorizer", "authorization", "apikey", "$input")
    assert not [v for v in variables if any(word in v.lower() for word in forbidden)], variables


def test_the_waf_is_on_by_default_and_can_be_turned_off():
    # Given the WAF parameter and resources
    parameter = source()["Parameters"]["EnableWaf"]
    resources = source()["Resources"]
    # Then it is on unless the deployer says otherwise, with the rate rule and the known-bad-inputs rules
    assert parameter["Default"] == "true" and set(parameter["AllowedValues"]) == {"true", "false"}
    assert source()["Conditions"]["WafEnabled"] == {"Fn::Equals": [{"Ref": "EnableWaf"}, "true"]}
    rules = {rule["Name"]: rule for rule in resources["WebAcl"]["Properties"]["Rules"]}
    assert set(rules) == {"RatePerClientIp", "KnownBadInputs"}
    assert resources["WebAclAssociation"]["Condition"] == "WafEnabled"


def test_uploaded_code_files_and_reports_expire_after_their_parameters_days():
    # Given the import bucket's lifecycle rules
    rules = source()["Resources"]["ImportBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    by_prefix = {rule.get("Prefix"): rule for rule in rules}
    # Then code files and reports expire (current and earlier versions), and half-done uploads are dropped
    assert by_prefix["imports/"]["ExpirationInDays"] == {"Ref": "UploadRetentionDays"}
    assert by_prefix["reports/"]["ExpirationInDays"] == {"Ref": "ReportRetentionDays"}
    assert all(
        by_prefix[p]["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 7 for p in ("imports/", "reports/")
    )
    assert any(rule.get("AbortIncompleteMultipartUpload") for rule in rules)
    assert all(rule["Status"] == "Enabled" for rule in rules)
    parameters = source()["Parameters"]
    assert (
        parameters["UploadRetentionDays"]["MinValue"] >= 1
        and parameters["ReportRetentionDays"]["MinValue"] >= 1
    )


def test_only_this_stacks_bucket_may_send_to_the_import_queue():
    # Given the import queue's policy and the bucket's name
    resources = source()["Resources"]
    (statement,) = resources["ImportQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    bucket_name = resources["ImportBucket"]["Properties"]["BucketName"]
    # Then S3 may send only from this account and from the ARN of exactly this bucket
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    (source_arn,) = statement["Condition"]["ArnEquals"].values()
    template, names = source_arn["Fn::Sub"]
    assert template == "arn:${AWS::Partition}:s3:::" + bucket_name["Fn::Sub"][0]
    assert names == bucket_name["Fn::Sub"][1]
    assert "*" not in template


def _dead_letter_queues(output: dict[str, Any]) -> set[str]:
    """Logical ids of every queue something sends its failures to, in the translated template."""
    found = set()
    for resource in output["Resources"].values():
        properties = resource.get("Properties", {})
        targets = [
            properties.get("RedrivePolicy", {}).get("deadLetterTargetArn"),
            properties.get("DeadLetterConfig", {}).get("TargetArn"),
            properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"),
            properties.get("Target", {}).get("DeadLetterConfig", {}).get("Arn"),
        ]
        found |= {t["Fn::GetAtt"][0] for t in targets if isinstance(t, dict) and "Fn::GetAtt" in t}
    return found


def test_every_dead_letter_queue_and_the_5xx_rate_raise_an_alarm_on_an_encrypted_topic():
    # Given the translated template (SAM makes the schedule's dead-letter queue)
    output = translated()
    alarms = resources_of(output, "AWS::CloudWatch::Alarm").values()
    queues = _dead_letter_queues(output)
    # When the alarms on queues are read
    watched = {
        a["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for a in alarms
        if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and a["Properties"]["Threshold"] == 0
        and a["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"
    }
    # Then every dead-letter queue is watched for its first message
    assert queues >= {"ImportDeadLetterQueue", "PublisherDeadLetterQueue", "RemindersDeadLetterQueue"}
    assert queues >= {"StockDeadLetterQueue"}
    assert queues >= {
        "ImportDeadLetterQueue",
        "PublisherDeadLetterQueue",
        "RemindersDeadLetterQueue",
        "HoldersDeadLetterQueue",
        "ExportDeadLetterQueue",
    }
    assert "FiguresDeadLetterQueue" in queues
    assert "OrderFeedDeadLetterQueue" in queues
    assert {"IssuanceDeadLetterQueue", "ScheduledRulesFunctionEveryQueue"} <= queues
    assert "GrantDeadLetterQueue" in queues
    assert "SegmentDeadLetterQueue" in queues
    assert {
        "PointsExpiryDeadLetterQueue",
        "PointsExpiryFunctionEveryQueue",
        "PointsDeadLetterQueue",
    } <= queues
    assert len(queues) == 16, queues
    assert queues <= watched, queues - watched
    # And the API's share of 5xx answers is watched
    (errors,) = [a["Properties"] for a in alarms if a["Properties"]["MetricName"] == "5XXError"]
    api_name = output["Resources"]["CouponsApi"]["Properties"]["Name"]
    assert errors["Statistic"] == "Average" and 0 < errors["Threshold"] <= 0.05
    assert {d["Name"]: d["Value"] for d in errors["Dimensions"]} == {
        "ApiName": api_name,
        "Stage": {"Ref": "StageName"},
    }
    # And every alarm tells the alarm topic, which is encrypted with the stack's key
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms)
    for topic in resources_of(output, "AWS::SNS::Topic").values():
        assert topic["Properties"]["KmsMasterKeyId"] == {"Ref": "NotificationsKey"}


def test_claim_and_redeem_keep_executions_of_their_own_within_the_accounts_default_limit():
    # Given the reserved concurrency of the functions a flash sale and the tills depend on
    functions = source()["Resources"]
    parameters = source()["Parameters"]
    reserved = {
        name: functions[name]["Properties"]["ReservedConcurrentExecutions"]["Ref"]
        for name in ("ClaimFunction", "RedeemFunction")
    }
    defaults = {name: parameters[ref]["Default"] for name, ref in reserved.items()}
    # Then both reserve executions by default, and together leave most of the account's 1,000 to the rest
    assert defaults == {"ClaimFunction": 200, "RedeemFunction": 100}
    assert sum(defaults.values()) <= 1000 - 100 - 500
    # And no other function reserves any (each would be taken from the shared pool)
    others = [n for n, r in resources_of(source(), "AWS::Serverless::Function").items() if n not in reserved]
    assert all("ReservedConcurrentExecutions" not in functions[n]["Properties"] for n in others)


def test_functions_query_only_the_indexes_they_name():
    # Given every statement granting dynamodb:Query
    found = [
        (name, statement)
        for name, statement in statements(translated())
        if "dynamodb:Query" in as_list(statement.get("Action", []))
    ]
    assert found
    for name, statement in found:
        # Then it names its indexes (no index/*), and grants Query on the table itself only for partitions
        # it names by their leading key (the figures' counters: `dynamodb:LeadingKeys`)
        condition = statement.get("Condition", {}).get("ForAllValues:StringLike", {})
        leading = condition.get("dynamodb:LeadingKeys")
        for resource in as_list(statement["Resource"]):
            text = json.dumps(resource)
            if leading is not None:
                assert all(key.endswith("#*") and "*" not in key[:-1] for key in leading), (name, leading)
                continue
            assert re.search(r"/index/GSI\d\"", text), (name, resource)


def test_claim_and_redeem_resume_from_snapshots_of_versions_the_api_invokes_through_an_alias():
    # Given the translated template
    output = translated()
    functions = resources_of(output, "AWS::Lambda::Function")
    aliases = resources_of(output, "AWS::Lambda::Alias")
    permissions = resources_of(output, "AWS::Lambda::Permission").values()
    for name in ("ClaimFunction", "RedeemFunction"):
        properties = functions[name]["Properties"]
        # Then SnapStart applies to its published versions, on a runtime that supports it for Python
        assert properties["SnapStart"] == {"ApplyOn": "PublishedVersions"}
        assert re.fullmatch(r"python3\.(1[2-9]|[2-9]\d)", properties["Runtime"]), properties["Runtime"]
        # And the API invokes the alias of the version, never $LATEST (which SnapStart does not cover)
        assert f"{name}Aliaslive" in aliases
        invoked = [
            p["Properties"]["FunctionName"]
            for p in permissions
            if p["Properties"]["Principal"] == ("apigateway.amazonaws.com")
            and name in json.dumps(p["Properties"]["FunctionName"])
        ]
        assert invoked and all(target == {"Ref": f"{name}Aliaslive"} for target in invoked), invoked
    # And no other function has SnapStart (the others take no bursts)
    others = [n for n, f in functions.items() if n not in ("ClaimFunction", "RedeemFunction")]
    assert all("SnapStart" not in functions[n]["Properties"] for n in others)


def test_the_table_stream_has_at_most_two_readers_and_bus_rules_feed_only_queues_allowed_to_take_them():
    # Given the translated template
    output = translated()
    mappings = resources_of(output, "AWS::Lambda::EventSourceMapping").values()
    # When the mappings reading the table's stream are counted
    readers = [
        m["Properties"]["FunctionName"]
        for m in mappings
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["CouponsTable", "StreamArn"]}
    ]
    # Then there are two, as DynamoDB Streams advises (the publisher and the stock watch)
    assert sorted(r["Ref"] for r in readers) == ["PublisherFunction", "StockFunction"]
    # And every rule that feeds a queue is on the service's bus, and the queue lets only that rule send
    policies = resources_of(output, "AWS::SQS::QueuePolicy").values()
    for name, rule in resources_of(output, "AWS::Events::Rule").items():
        for target in rule["Properties"]["Targets"]:
            if "Fn::GetAtt" not in target["Arn"]:
                continue
            queue = target["Arn"]["Fn::GetAtt"][0]
            assert rule["Properties"]["EventBusName"] == {"Ref": "CouponsBus"}, name
            allowed = [
                s
                for p in policies
                if p["Properties"]["Queues"] == [{"Ref": queue}]
                for s in p["Properties"]["PolicyDocument"]["Statement"]
            ]
            assert allowed and all(
                s["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Fn::GetAtt": [name, "Arn"]} for s in allowed
            ), (name, allowed)


def test_grant_files_reach_the_grant_worker_through_its_queue_and_only_its_form_writes_them():
    # Given the translated template
    output = translated()
    configurations = output["Resources"]["ImportBucket"]["Properties"]["NotificationConfiguration"]
    (notification,) = [
        n
        for n in configurations["QueueConfigurations"]
        if n["Queue"] == {"Fn::GetAtt": ["GrantQueue", "Arn"]}
    ]
    queue = output["Resources"]["GrantQueue"]["Properties"]
    function = output["Resources"]["GrantWorkerFunction"]["Properties"]
    # Then only objects under grants/ are announced to the grant queue, redriven to its dead-letter queue
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "grants/"}]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["GrantDeadLetterQueue", "Arn"]}
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]
    # And only S3, from this stack's bucket, may send to it beside the roles allowed to
    (allowed,) = output["Resources"]["GrantQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allowed["Principal"] == {"Service": "s3.amazonaws.com"} and allowed["Condition"]["ArnEquals"]
    # And nobody but the grant function's role (its upload forms) writes under grants/
    policy = output["Resources"]["ImportBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (only_form,) = [s for s in policy if s.get("Sid") == "GrantFilesOnlyThroughTheUploadForm"]
    assert only_form["Effect"] == "Deny" and only_form["Action"] == "s3:PutObject"
    assert only_form["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == {
        "Fn::GetAtt": ["GrantFunctionRole", "Arn"]
    }


def test_the_web_app_is_served_as_the_local_gateway_serves_it():
    # Given the deployed web app's headers policy and page paths, and the local gateway's
    from devstack.web import PAGE_PREFIXES, security_headers

    resources = source()["Resources"]
    config = resources["WebHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    deployed = config["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
    local = security_headers(["EMULATOR"])["Content-Security-Policy"]

    # Then the policies differ only in where the pages may connect (the API, uploads, sign-in)
    def without_connect(policy: str) -> list[str]:
        return [part.strip() for part in policy.split(";") if not part.strip().startswith("connect-src")]

    assert without_connect(deployed) == without_connect(local)
    connect = next(p for p in deployed.split(";") if p.strip().startswith("connect-src"))
    assert "${PublicBaseUrl}/" in connect and "${ImportBucket.RegionalDomainName}" in connect
    assert "https://${ImportBucket}.s3.amazonaws.com" in connect  # the host boto3 signs links for
    assert config["FrameOptions"]["FrameOption"] == "DENY"
    assert config["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"

    # And the same paths answer the app's index.html
    code = resources["WebPagePaths"]["Properties"]["FunctionCode"]
    pattern = re.search(r"if \((/.*/)\.test", code).group(1)
    js = re.compile(pattern.strip("/").replace("\\/", "/"))
    for path in ("/console", "/console/coupons/x", "/c/", "/c", "/c/offers/abc", "/signed-in"):
        assert js.search(path), path
        assert path == "/c" or path.startswith(PAGE_PREFIXES), path
    for path in ("/config.json", "/assets/index.js", "/coupons", "/cx"):
        assert not js.search(path), path

    # And only this distribution reads the bucket; the API and the upload bucket allow only the web origin
    statements_ = resources["WebBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    reads = next(s for s in statements_ if s["Effect"] == "Allow")
    assert reads["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert "distribution/${WebDistribution}" in reads["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    api = resources["CouponsApi"]["Properties"]
    assert api["Cors"]["AllowOrigin"] == {"Fn::Sub": "'${PublicWebUrl}'"}
    cors = resources["ImportBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert cors == [
        {
            "AllowedOrigins": [{"Ref": "PublicWebUrl"}],
            "AllowedMethods": ["POST", "GET", "HEAD"],
            "AllowedHeaders": ["*"],
            "MaxAge": 600,
        }
    ]
