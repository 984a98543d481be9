from ninja import Router

router = Router(tags=["日历"])
