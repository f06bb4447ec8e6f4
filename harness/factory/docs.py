"""The endpoint list `GET /api/docs` returns, in the real factory's shape."""

from __future__ import annotations

from typing import Any

ORDER_EXAMPLE = (
    '{"diner":{"id":719,"name":"j","email":"j@jwt.com"},"order":{"items":[{"menuId":1,'
    '"description":"Veggie","price":0.0038}],"storeId":"5","franchiseId":4,"id":278}}'
)

ENDPOINTS: list[dict[str, Any]] = [
    {
        "method": "POST",
        "path": "/api/order",
        "requiresAuth": True,
        "description": "Create a JWT pizza",
        "example": f"curl -X POST $host/api/order -H 'authorization: Bearer xyz' "
        f"-d '{ORDER_EXAMPLE}' -H 'Content-Type: application/json'",
        "response": {"jwt": "JWT here"},
    },
    {
        "method": "POST",
        "path": "/api/order/verify",
        "requiresAuth": True,
        "description": "Verifies a pizza order",
        "example": 'curl -X POST $host/api/order/verify -d \'{"jwt":"JWT here"}\' '
        "-H 'Content-Type: application/json'",
        "response": {"message": "valid", "payload": {"vendor": {}, "diner": {}, "order": {}}},
    },
    {
        "method": "GET",
        "path": "/.well-known/jwks.json",
        "requiresAuth": False,
        "description": "Get the JSON Web Key Set (JWKS) for independent JWT verification",
        "example": "curl $host/.well-known/jwks.json",
        "response": {
            "keys": [{"kty": "RSA", "kid": "KID here", "n": "Key value here", "e": "AQAB"}]
        },
    },
    {
        "method": "GET",
        "path": "/api/support/:vendorToken/report/:fixCode",
        "requiresAuth": False,
        "description": "Report a problem",
        "example": "curl -X GET $host/api/support/abcxyz/report/123",
        "response": {"message": "ticket status"},
    },
]
