"""Fixed vocabularies of government information disclosure (政府信息公开).

Plain Python: the site generator and the search index use them without Django.
"""

# 主题分类: the 22 subject classes of the national disclosure catalogue.
TOPICS: tuple[str, ...] = (
    "综合政务", "国民经济管理、国有资产监管", "财政、金融、审计", "国土资源、能源",
    "农业、林业、水利", "工业、交通", "商贸、海关、旅游", "市场监管、安全生产监管",
    "城乡建设、环境保护", "科技、教育", "文化、广电、新闻出版", "卫生、体育",
    "人口与计划生育、妇女儿童工作", "劳动、人事、监察", "公安、安全、司法", "民政、扶贫、救灾",
    "民族、宗教", "对外事务", "港澳台侨工作", "国防", "统计", "其他",
)

# 信息类别: the usual columns of a county disclosure catalogue. Imports may bring others; they are kept.
CATEGORIES: tuple[str, ...] = (
    "政策文件", "政策解读", "法规规章", "规划计划", "通知公告", "工作动态", "财政资金",
    "人事信息", "行政许可", "应急管理", "统计信息", "年度报告",
)

# 有效性
VALID, EXPIRED, REPEALED = "有效", "失效", "废止"
VALIDITY: tuple[str, ...] = (VALID, EXPIRED, REPEALED)

# The category whose documents explain a policy (政策解读 → 政策文件).
INTERPRETATION_CATEGORY = "政策解读"
