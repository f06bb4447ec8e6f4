"""The endpoint list `GET /api/docs` returns, in the real service's shape (method, path,
requiresAuth, description, example, response), for the endpoints this service answers."""

from __future__ import annotations

from typing import Any

ADMIN = {"id": 1, "name": "常用名字", "email": "a@jwt.com", "roles": [{"role": "admin"}]}
DINER = {"id": 2, "name": "pizza diner", "email": "d@jwt.com", "roles": [{"role": "diner"}]}
ITEM = {"menuId": 1, "description": "Veggie", "price": 0.0038}
ORDER_BODY = '{"franchiseId": 1, "storeId":1, "items":[{ "menuId": 1, "description": "Veggie", "price": 0.0038 }]}'  # noqa: E501
AUTH = "-H 'Authorization: Bearer tttttt'"
JSON = "-H 'Content-Type: application/json'"


def _endpoint(
    method: str, path: str, description: str, example: str, response: Any, *, auth: bool = False
) -> dict[str, Any]:
    entry: dict[str, Any] = {"method": method, "path": path}
    if auth:
        entry["requiresAuth"] = True
    return {**entry, "description": description, "example": example, "response": response}


ENDPOINTS: list[dict[str, Any]] = [
    _endpoint(
        "POST",
        "/api/auth",
        "Register a new user",
        "curl -X POST localhost:3000/api/auth -d "
        f'\'{{"name":"pizza diner", "email":"d@jwt.com", "password":"diner"}}\' {JSON}',
        {"user": DINER, "token": "tttttt"},
    ),
    _endpoint(
        "PUT",
        "/api/auth",
        "Login existing user",
        f'curl -X PUT localhost:3000/api/auth -d \'{{"email":"a@jwt.com", "password":"admin"}}\' '
        f"{JSON}",
        {"user": ADMIN, "token": "tttttt"},
    ),
    _endpoint(
        "DELETE",
        "/api/auth",
        "Logout a user",
        f"curl -X DELETE localhost:3000/api/auth {AUTH}",
        {"message": "logout successful"},
        auth=True,
    ),
    _endpoint(
        "GET",
        "/api/user/me",
        "Get authenticated user",
        f"curl -X GET localhost:3000/api/user/me {AUTH}",
        ADMIN,
        auth=True,
    ),
    _endpoint(
        "GET",
        "/api/order/menu",
        "Get the pizza menu",
        "curl localhost:3000/api/order/menu",
        [
            {
                "id": 1,
                "title": "Veggie",
                "image": "pizza1.png",
                "price": 0.0038,
                "description": "A garden of delight",
            }
        ],
    ),
    _endpoint(
        "GET",
        "/api/order",
        "Get the orders for the authenticated user",
        f"curl -X GET localhost:3000/api/order {AUTH}",
        {
            "dinerId": 4,
            "orders": [
                {
                    "id": 1,
                    "franchiseId": 1,
                    "storeId": 1,
                    "date": "2024-06-05T05:14:40.000Z",
                    "items": [{"id": 1, **ITEM}],
                }
            ],
            "page": 1,
        },
        auth=True,
    ),
    _endpoint(
        "POST",
        "/api/order",
        "Create a order for the authenticated user",
        f"curl -X POST localhost:3000/api/order {JSON} -d '{ORDER_BODY}' {AUTH}",
        {"order": {"franchiseId": 1, "storeId": 1, "items": [ITEM], "id": 1}, "jwt": "1111111111"},
        auth=True,
    ),
    _endpoint(
        "GET",
        "/api/franchise?page=0&limit=10&name=*",
        "List all the franchises",
        "curl localhost:3000/api/franchise?page=0&limit=10&name=pizzaPocket",
        {
            "franchises": [{"id": 1, "name": "pizzaPocket", "stores": [{"id": 1, "name": "SLC"}]}],
            "more": False,
        },
    ),
]
