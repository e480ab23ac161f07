from ninja import Router

router = Router()


@router.get("/hello", summary="测试接口")
def hello(request):
    return {"message": "测试服务正常"}
