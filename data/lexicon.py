"""Bilingual word lists for data/generate.py (written for minisora, MIT; nothing copied).

Each table is a block of text: one entry per ";" or line, fields separated by "|".
English nouns are written "singular" (regular plural), "singular/plural" (irregular) or
"mass/" (no plural); English verbs "base" (regular), "base+" (doubles its last consonant:
stop -> stopped), "base/past" or "base/past/participle" (irregular; a phrasal verb gives
the irregular forms of its first word: "lie down/lay"). The inflections are
computed by ``plural`` and ``verb_forms`` below, so the corpus has every form of a word.
"""

from __future__ import annotations


def table(text: str) -> list[tuple[str, ...]]:
    """'a|b; c|d' -> [('a', 'b'), ('c', 'd')] (entries split on ';' and newlines)."""
    rows = []
    for line in text.replace(";", "\n").splitlines():
        if line.strip():
            rows.append(tuple(f.strip() for f in line.split("|")))
    return rows


# --- English inflection --------------------------------------------------------------------

def _consonant_y(w: str) -> bool:
    return w.endswith("y") and len(w) > 1 and w[-2] not in "aeiou"


def plural(spec: str) -> tuple[str, str]:
    """'fox' -> ('fox', 'foxes'); 'mouse/mice' -> ('mouse', 'mice'); 'rice/' -> ('rice', 'rice')."""
    if "/" in spec:
        one, many = spec.split("/")
        return one, many or one
    if spec.endswith(("s", "x", "z", "ch", "sh")):
        return spec, spec + "es"
    if _consonant_y(spec):
        return spec, spec[:-1] + "ies"
    return spec, spec + "s"


def verb_forms(spec: str) -> dict[str, str]:
    """'stop+' -> {base: stop, s: stops, past: stopped, pp: stopped, ing: stopping}."""
    parts = spec.split("/")
    double = parts[0].endswith("+")
    base = parts[0].rstrip("+")
    head, *rest = base.split(" ", 1)  # phrasal verbs inflect their first word: "pick up" -> "picked up"
    tail = " " + rest[0] if rest else ""
    if head.endswith(("s", "x", "z", "ch", "sh", "o")):
        s = head + "es"
    elif _consonant_y(head):
        s = head[:-1] + "ies"
    else:
        s = head + "s"
    if double:
        stem = head + head[-1]
    elif head.endswith("ie"):
        stem = head[:-2] + "y"
    elif head.endswith("e") and not head.endswith(("ee", "ye", "oe")):
        stem = head[:-1]
    else:
        stem = head
    if double:
        past = stem + "ed"
    elif head.endswith("e"):
        past = head + "d"
    elif _consonant_y(head):
        past = head[:-1] + "ied"
    else:
        past = head + "ed"
    if len(parts) > 1:
        past = parts[1]
    pp = parts[2] if len(parts) > 2 else past
    return {"base": base, "s": s + tail, "past": past + tail, "pp": pp + tail, "ing": stem + "ing" + tail}


# --- Food ----------------------------------------------------------------------------------

FRUITS = table("""
apple|苹果; pear|梨; peach|桃子; plum|李子; cherry|樱桃; grape|葡萄; lemon|柠檬; lime|青柠
mango/mangoes|芒果; pineapple|菠萝; watermelon|西瓜; melon|甜瓜; strawberry|草莓; blueberry|蓝莓
raspberry|树莓; apricot|杏; fig|无花果; kiwi|猕猴桃; papaya|木瓜; coconut|椰子; lychee|荔枝
longan|龙眼; persimmon|柿子; pomegranate|石榴; date|红枣; tangerine|橘子; grapefruit|西柚; durian|榴莲
guava|番石榴; loquat|枇杷; mulberry|桑葚; starfruit|杨桃; cranberry|蔓越莓; avocado|牛油果
hawthorn berry|山楂; nectarine|油桃; blackberry|黑莓; gooseberry|醋栗; quince|榅桲; kumquat|金橘
passion fruit|百香果; dragon fruit|火龙果; jackfruit|菠萝蜜; mangosteen|山竹; rambutan|红毛丹; olive|橄榄
cantaloupe|哈密瓜; pomelo|柚子; bayberry|杨梅; jujube|冬枣; crab apple|海棠果; elderberry|接骨木莓
""")
VEGETABLES = table("""
carrot|胡萝卜; potato/potatoes|土豆; tomato/tomatoes|西红柿; cabbage|卷心菜; onion|洋葱; cucumber|黄瓜
pumpkin|南瓜; spinach/|菠菜; lettuce/|生菜; celery/|芹菜; broccoli/|西兰花; cauliflower/|菜花
pepper|青椒; eggplant|茄子; radish|萝卜; green bean|四季豆; pea|豌豆; mushroom|蘑菇; corn/|玉米
chive|韭菜; lotus root|莲藕; bamboo shoot|竹笋; sweet potato/sweet potatoes|红薯; yam|山药
taro/taros|芋头; bok choy/|小白菜; kale/|羽衣甘蓝; beetroot|甜菜根; zucchini/|西葫芦
asparagus/|芦笋; bean sprout|豆芽; winter melon|冬瓜; bitter melon|苦瓜; okra/|秋葵; leek|大葱
turnip|芜菁; artichoke|洋蓟; water chestnut|荸荠; kelp/|海带; tofu/|豆腐; garlic/|大蒜
shallot|红葱头; parsnip|欧防风; chickpea|鹰嘴豆; lentil|小扁豆; soybean|黄豆; peanut|花生
chestnut|栗子; walnut|核桃; almond|杏仁; sesame/|芝麻; millet/|小米; oat/|燕麦; buckwheat/|荞麦
""")
DISHES = table("""
dumplings|饺子; steamed buns|包子; fried rice|炒饭; noodle soup|汤面; rice porridge|白粥
mapo tofu|麻婆豆腐; hot pot|火锅; spring rolls|春卷; wonton soup|馄饨; braised pork|红烧肉
steamed fish|清蒸鱼; cold noodles|凉面; scallion pancakes|葱油饼; egg tarts|蛋挞; mooncakes|月饼
rice dumplings|粽子; sweet rice balls|汤圆; omelette|煎蛋卷; vegetable soup|蔬菜汤
pumpkin soup|南瓜汤; mashed potatoes|土豆泥; fruit salad|水果沙拉; green salad|蔬菜沙拉
pasta|意大利面; pizza|比萨饼; sandwiches|三明治; curry rice|咖喱饭; meat pie|肉馅饼
apple pie|苹果派; chocolate cake|巧克力蛋糕; biscuits|饼干; muffins|松饼; roast chicken|烤鸡
grilled corn|烤玉米; lamb skewers|羊肉串; beef noodles|牛肉面; fish balls|鱼丸; tea eggs|茶叶蛋
stuffed peppers|酿青椒; fried noodles|炒面; rice noodles|米粉; tofu soup|豆腐汤; pickled vegetables|泡菜
pancakes|薄饼; corn soup|玉米浓汤; egg custard|鸡蛋羹; sesame balls|麻球; sticky rice cake|年糕
hand-pulled noodles|拉面; steamed rice rolls|肠粉; egg pancakes|鸡蛋饼; fried dough sticks|油条
peking duck|北京烤鸭; sweet potato porridge|红薯粥; spicy tofu pudding|豆腐脑; crispy pork|脆皮烧肉
""")
DRINKS = table("""
tea|茶; green tea|绿茶; black tea|红茶; coffee|咖啡; milk|牛奶; soy milk|豆浆; orange juice|橙汁
apple juice|苹果汁; lemonade|柠檬水; hot chocolate|热巧克力; mineral water|矿泉水; yoghurt|酸奶
milk tea|奶茶; plum juice|酸梅汤; coconut water|椰子水; ginger tea|姜茶; honey water|蜂蜜水
jasmine tea|茉莉花茶; barley tea|大麦茶; carrot juice|胡萝卜汁
""")
SEASONINGS = table("""
salt|盐; sugar|白糖; black pepper|黑胡椒; vinegar|醋; soy sauce|酱油; chilli oil|辣椒油
sesame oil|香油; cinnamon|肉桂; star anise|八角; cumin|孜然; honey|蜂蜜; butter|黄油
olive oil|橄榄油; spring onion|葱花; coriander|香菜; basil|罗勒; mint|薄荷; rosemary|迷迭香
oyster sauce|蚝油; bean paste|豆瓣酱; Sichuan pepper|花椒; ginger|姜丝; nutmeg|肉豆蔻; thyme|百里香
""")
OILS = ["olive oil", "sesame oil", "butter"], ["橄榄油", "香油", "黄油"]
SIDES = table("""
rice|米饭; bread|面包; noodles|面条; a green salad|蔬菜沙拉; steamed buns|馒头; flatbread|烧饼
boiled eggs|煮鸡蛋; pickles|咸菜
""")

# --- Animals: English, Chinese, class, habitat, food, Chinese measure word ------------------

ANIMAL_CLASSES = {"m": ("mammal", "哺乳动物"), "b": ("bird", "鸟类"), "r": ("reptile", "爬行动物"),
                  "a": ("amphibian", "两栖动物"), "f": ("fish", "鱼类"), "i": ("insect", "昆虫"),
                  "v": ("invertebrate", "无脊椎动物")}
HABITATS = {"forest": ("in forests", "在森林里"), "river": ("near rivers", "在河边"),
            "grass": ("on grasslands", "在草原上"), "mount": ("in the mountains", "在山里"),
            "sea": ("in the sea", "在海里"), "desert": ("in deserts", "在沙漠里"),
            "arctic": ("in the Arctic", "在北极"), "pond": ("in ponds", "在池塘里"),
            "garden": ("in gardens", "在花园里"), "farm": ("on farms", "在农场里"),
            "bamboo": ("in bamboo forests", "在竹林里"), "jungle": ("in rainforests", "在热带雨林里"),
            "wet": ("in wetlands", "在湿地里"), "house": ("in people's homes", "在人们家里"),
            "town": ("in towns and cities", "在城镇里"), "coast": ("on the coast", "在海边")}
DIETS = {"plants": ("plants", "植物"), "grass": ("grass", "草"), "fish": ("fish", "鱼"),
         "insects": ("insects", "虫子"), "meat": ("meat", "肉"), "fruit": ("fruit", "果子"),
         "leaves": ("leaves", "树叶"), "nectar": ("nectar", "花蜜"), "bamboo": ("bamboo", "竹子"),
         "seeds": ("seeds", "种子"), "plankton": ("plankton", "浮游生物"), "mixed": ("almost anything", "几乎什么都吃"),
         "worms": ("worms", "虫子和蠕虫"), "nuts": ("nuts and seeds", "坚果和种子"), "blood": ("blood", "血")}
ANIMALS = table("""
otter|水獭|m|river|fish|只; beaver|河狸|m|river|plants|只; badger|獾|m|forest|worms|只
fox|狐狸|m|forest|meat|只; wolf/wolves|狼|m|forest|meat|只; bear|熊|m|forest|mixed|头
deer/deer|鹿|m|forest|grass|头; rabbit|兔子|m|grass|grass|只; hare|野兔|m|grass|grass|只
squirrel|松鼠|m|forest|nuts|只; hedgehog|刺猬|m|garden|insects|只; mole|鼹鼠|m|garden|worms|只
bat|蝙蝠|m|forest|insects|只; mouse/mice|老鼠|m|house|seeds|只; elephant|大象|m|grass|grass|头
giraffe|长颈鹿|m|grass|leaves|只; zebra|斑马|m|grass|grass|匹; lion|狮子|m|grass|meat|头
tiger|老虎|m|forest|meat|只; leopard|豹子|m|forest|meat|只; cheetah|猎豹|m|grass|meat|只
hippo|河马|m|river|grass|头; rhino|犀牛|m|grass|grass|头; camel|骆驼|m|desert|plants|头
kangaroo|袋鼠|m|grass|grass|只; koala|考拉|m|forest|leaves|只; panda|大熊猫|m|bamboo|bamboo|只
red panda|小熊猫|m|bamboo|bamboo|只; monkey|猴子|m|jungle|fruit|只; gorilla|大猩猩|m|jungle|leaves|只
chimpanzee|黑猩猩|m|jungle|fruit|只; sloth|树懒|m|jungle|leaves|只; anteater|食蚁兽|m|jungle|insects|只
raccoon|浣熊|m|forest|mixed|只; moose/moose|驼鹿|m|forest|plants|头; bison/bison|野牛|m|grass|grass|头
yak|牦牛|m|mount|grass|头; goat|山羊|m|mount|grass|只; donkey|驴|m|farm|grass|头
alpaca|羊驼|m|mount|grass|只; whale|鲸鱼|m|sea|plankton|头; dolphin|海豚|m|sea|fish|只
seal|海豹|m|coast|fish|只; walrus|海象|m|arctic|worms|头; polar bear|北极熊|m|arctic|meat|头
reindeer/reindeer|驯鹿|m|arctic|plants|头; hamster|仓鼠|m|house|seeds|只; weasel|黄鼠狼|m|forest|meat|只
lynx|猞猁|m|forest|meat|只; snow leopard|雪豹|m|mount|meat|只;
sparrow|麻雀|b|town|seeds|只; swallow|燕子|b|town|insects|只; crow|乌鸦|b|town|mixed|只
magpie|喜鹊|b|town|mixed|只; pigeon|鸽子|b|town|seeds|只; eagle|老鹰|b|mount|meat|只
falcon|隼|b|mount|meat|只; parrot|鹦鹉|b|jungle|fruit|只; peacock|孔雀|b|forest|seeds|只
penguin|企鹅|b|coast|fish|只; ostrich|鸵鸟|b|grass|plants|只; flamingo|火烈鸟|b|wet|plankton|只
swan|天鹅|b|pond|plants|只; goose/geese|鹅|b|farm|grass|只; crane|丹顶鹤|b|wet|fish|只
heron|白鹭|b|wet|fish|只; woodpecker|啄木鸟|b|forest|insects|只; kingfisher|翠鸟|b|river|fish|只
robin|知更鸟|b|garden|worms|只; seagull|海鸥|b|coast|fish|只; pelican|鹈鹕|b|coast|fish|只
hummingbird|蜂鸟|b|jungle|nectar|只; cuckoo|布谷鸟|b|forest|insects|只; turkey|火鸡|b|farm|seeds|只
turtle|海龟|r|sea|plants|只; tortoise|乌龟|r|pond|plants|只; crocodile|鳄鱼|r|river|meat|条
lizard|蜥蜴|r|desert|insects|只; snake|蛇|r|grass|meat|条; gecko|壁虎|r|house|insects|只
chameleon|变色龙|r|jungle|insects|只; toad|蟾蜍|a|garden|insects|只; newt|蝾螈|a|pond|worms|只
goldfish/goldfish|金鱼|f|pond|plants|条; salmon/salmon|三文鱼|f|river|insects|条
shark|鲨鱼|f|sea|fish|条; carp/carp|鲤鱼|f|pond|plants|条; eel|鳗鱼|f|river|worms|条
clownfish/clownfish|小丑鱼|f|sea|plankton|条; seahorse|海马|f|sea|plankton|只; tuna/tuna|金枪鱼|f|sea|fish|条
octopus/octopuses|章鱼|v|sea|meat|只; squid/squid|鱿鱼|v|sea|fish|只; jellyfish/jellyfish|水母|v|sea|plankton|只
crab|螃蟹|v|coast|mixed|只; lobster|龙虾|v|sea|mixed|只; shrimp/shrimp|虾|v|sea|plankton|只
starfish/starfish|海星|v|sea|mixed|只; snail|蜗牛|v|garden|leaves|只; earthworm|蚯蚓|v|garden|plants|条
ant|蚂蚁|i|garden|mixed|只; butterfly|蝴蝶|i|garden|nectar|只; moth|飞蛾|i|forest|nectar|只
dragonfly|蜻蜓|i|pond|insects|只; ladybird|瓢虫|i|garden|insects|只; grasshopper|蚱蜢|i|grass|grass|只
cricket|蟋蟀|i|grass|plants|只; beetle|甲虫|i|forest|leaves|只; firefly|萤火虫|i|wet|nectar|只
mosquito/mosquitoes|蚊子|i|wet|blood|只; cicada|蝉|i|forest|plants|只; caterpillar|毛毛虫|i|garden|leaves|条
silkworm|蚕|i|farm|leaves|条; wasp|黄蜂|i|garden|insects|只
mole cricket|蝼蛄|i|garden|plants|只; praying mantis/praying mantises|螳螂|i|garden|insects|只
stick insect|竹节虫|i|forest|leaves|只; scorpion|蝎子|v|desert|insects|只; centipede|蜈蚣|v|forest|insects|条
spider|蜘蛛|v|garden|insects|只; oyster|牡蛎|v|sea|plankton|只; sea urchin|海胆|v|sea|plants|只
squirrel monkey|松鼠猴|m|jungle|fruit|只; hyena|鬣狗|m|grass|meat|只; jaguar|美洲豹|m|jungle|meat|只
orangutan|猩猩|m|jungle|fruit|只; platypus/platypuses|鸭嘴兽|m|river|worms|只; porcupine|豪猪|m|forest|plants|只
meerkat|猫鼬|m|desert|insects|只; wild boar|野猪|m|forest|mixed|头; mule|骡子|m|farm|grass|头
owl|猫头鹰|b|forest|meat|只; vulture|秃鹫|b|mount|meat|只
toucan|巨嘴鸟|b|jungle|fruit|只; lark|百灵鸟|b|grass|seeds|只; oriole|黄鹂|b|forest|insects|只
mandarin duck|鸳鸯|b|pond|plants|只; quail|鹌鹑|b|grass|seeds|只; ibis/ibises|朱鹮|b|wet|fish|只
cobra|眼镜蛇|r|jungle|meat|条; iguana|鬣蜥|r|jungle|leaves|只; frog|青蛙|a|pond|insects|只
catfish/catfish|鲶鱼|f|river|mixed|条; pufferfish/pufferfish|河豚|f|sea|mixed|条; sardine|沙丁鱼|f|sea|plankton|条
""")

# --- People and things ----------------------------------------------------------------------

# English, Chinese, what the job is (English, Chinese)
PROFESSIONS = table("""
baker|面包师|bakes bread and cakes|烤面包和蛋糕
farmer|农民|grows crops and looks after animals|种庄稼、养牲口
doctor|医生|looks after sick people|给病人看病
nurse|护士|cares for patients in hospital|在医院照顾病人
teacher|老师|teaches children to read and count|教孩子们读书和算数
librarian|图书管理员|looks after the books in a library|管理图书馆里的书
carpenter|木匠|makes tables and chairs out of wood|用木头做桌子和椅子
plumber|水管工|fixes leaking pipes|修理漏水的管子
electrician|电工|repairs wires and lights|修理电线和电灯
painter|油漆工|paints walls and doors|粉刷墙壁和门
artist|画家|paints pictures of people and places|画人物和风景
musician|音乐家|plays music in concerts|在音乐会上演奏
singer|歌手|sings songs on the radio|在电台唱歌
dancer|舞蹈演员|dances on stage|在舞台上跳舞
actor|演员|acts in plays and films|演话剧和电影
writer|作家|writes stories for children|给孩子们写故事
journalist|记者|writes news reports|写新闻报道
photographer|摄影师|takes photographs at weddings|在婚礼上拍照
chef|厨师|cooks meals in a restaurant|在饭店里做菜
waiter|服务员|serves food to customers|给客人上菜
bus driver|公交车司机|drives a bus around town|开着公交车在城里转
pilot|飞行员|flies planes|驾驶飞机
sailor|水手|works on a ship|在船上工作
fisherman/fishermen|渔民|catches fish at sea|出海捕鱼
firefighter|消防员|puts out fires|扑灭火灾
police officer|警察|keeps people safe|保护大家的安全
postman/postmen|邮递员|delivers letters and parcels|送信和包裹
shopkeeper|店主|runs a small shop|经营一家小店
tailor|裁缝|makes and mends clothes|做衣服、补衣服
barber|理发师|cuts hair|给人理发
dentist|牙医|looks after people's teeth|给人看牙
vet|兽医|treats sick animals|给生病的动物看病
gardener|园丁|looks after parks and gardens|照料公园和花园
builder|建筑工人|builds houses|盖房子
engineer|工程师|designs bridges and machines|设计桥梁和机器
scientist|科学家|does experiments in a laboratory|在实验室里做实验
programmer|程序员|writes computer programs|编写计算机程序
mechanic|汽车修理工|repairs cars and lorries|修理汽车和卡车
pharmacist|药剂师|prepares medicine|配药
beekeeper|养蜂人|keeps bees and collects honey|养蜜蜂、收蜂蜜
potter|陶艺师|makes bowls and vases from clay|用黏土做碗和花瓶
blacksmith|铁匠|shapes hot iron into tools|把烧红的铁打成工具
weaver|织布工|weaves cloth on a loom|在织布机上织布
shepherd|牧羊人|looks after sheep on the hills|在山坡上放羊
zookeeper|饲养员|feeds the animals at the zoo|给动物园的动物喂食
astronaut|宇航员|travels into space|飞到太空中去
architect|建筑师|designs buildings|设计房子
translator|翻译|translates books between languages|把书从一种语言翻译成另一种语言
accountant|会计|keeps track of money|管理账目
cashier|收银员|takes payments in a supermarket|在超市收钱
cleaner|清洁工|keeps the streets clean|打扫街道
tour guide|导游|shows visitors around the old town|带游客参观老城
coach|教练|trains young athletes|训练年轻的运动员
judge|法官|decides cases in court|在法庭上审理案件
lawyer|律师|gives people legal advice|为人们提供法律帮助
florist|花艺师|arranges flowers|插花、包花束
jeweller|珠宝匠|makes rings and necklaces|做戒指和项链
butcher|肉店老板|sells meat|卖肉
lifeguard|救生员|watches swimmers at the pool|在泳池边看护游泳的人
forest ranger|护林员|protects the forest|保护森林
miner|矿工|digs coal underground|在地下挖煤
clockmaker|钟表匠|repairs old clocks|修理旧钟表
glassblower|玻璃匠|blows hot glass into vases|把热玻璃吹成花瓶
bookbinder|装订工|sews old books back together|把旧书重新装订好
cook|炊事员|cooks for the whole school|给全校做饭
sculptor|雕塑家|carves statues from stone|用石头雕刻塑像
poet|诗人|writes poems|写诗
composer|作曲家|writes music for orchestras|为乐团写曲子
conductor|指挥|leads an orchestra|指挥乐队
surgeon|外科医生|operates on patients|给病人做手术
midwife/midwives|助产士|helps babies to be born|帮助婴儿出生
optician|验光师|tests eyes and makes glasses|给人验光、配眼镜
locksmith|锁匠|opens and repairs locks|开锁、修锁
roofer|屋顶工|fixes roofs|修屋顶
welder|焊工|joins metal with heat|用高温把金属焊在一起
tea picker|采茶工|picks tea leaves on the hills|在山坡上采茶叶
rice farmer|稻农|grows rice in flooded fields|在水田里种水稻
fruit grower|果农|grows apples and pears|种苹果和梨
ferryman/ferrymen|船夫|takes people across the river|把人们送过河
street sweeper|环卫工|sweeps the streets at dawn|天刚亮就清扫街道
news reader|播音员|reads the news on television|在电视上播报新闻
detective|侦探|solves mysteries|破解谜案
receptionist|前台接待|greets visitors at a hotel|在旅馆接待客人
interpreter|口译员|translates what people say|翻译人们说的话
baker's assistant|面包店学徒|helps the baker every morning|每天早上帮面包师干活
museum curator|博物馆馆长|looks after old treasures|保管古老的珍宝
park keeper|公园管理员|looks after the park|管理公园
delivery driver|快递员|brings parcels to people's doors|把包裹送到人们家门口
""")

# English (noun spec), Chinese, Chinese measure word
TOOLS = table("""
hammer|锤子|把; saw|锯子|把; screwdriver|螺丝刀|把; wrench|扳手|把; ladder|梯子|架; rope|绳子|根
bucket|水桶|个; broom|扫帚|把; mop|拖把|个; kettle|水壶|个; teapot|茶壶|个; frying pan|平底锅|口
bowl|碗|个; plate|盘子|个; spoon|勺子|把; fork|叉子|把; knife/knives|刀|把; glass/glasses|玻璃杯|个
jar|罐子|个; basket|篮子|个; box|盒子|个; suitcase|行李箱|个; clock|钟|个; lamp|灯|盏
candle|蜡烛|支; mirror|镜子|面; pillow|枕头|个; blanket|毯子|条; towel|毛巾|条; comb|梳子|把
toothbrush|牙刷|把; needle|针|根; button|纽扣|颗; key|钥匙|把; lock|锁|把; chair|椅子|把
table|桌子|张; desk|书桌|张; sofa|沙发|张; bed|床|张; shelf/shelves|书架|个; cupboard|柜子|个
drawer|抽屉|个; curtain|窗帘|条; carpet|地毯|块; vase|花瓶|个; painting|画|幅; photo|照片|张
map|地图|张; globe|地球仪|个; compass|指南针|个; telescope|望远镜|架; microscope|显微镜|台
camera|相机|台; radio|收音机|台; television|电视|台; computer|电脑|台; phone|手机|部
speaker|音箱|个; battery|电池|节; torch|手电筒|个; kite|风筝|只; balloon|气球|个; ball|球|个
doll|娃娃|个; jigsaw puzzle|拼图|副; teddy bear|玩具熊|只; toy car|玩具车|辆; pencil|铅笔|支
eraser|橡皮|块; ruler|尺子|把; crayon|蜡笔|支; paintbrush|画笔|支; envelope|信封|个
stamp|邮票|张; postcard|明信片|张; diary|日记本|本; calendar|日历|本; dictionary|词典|本
magazine|杂志|本; newspaper|报纸|份; wallet|钱包|个; coin|硬币|枚; bicycle|自行车|辆
wheelbarrow|手推车|辆; watering can|喷壶|个; shovel|铁锹|把; rake|耙子|把; fishing rod|钓鱼竿|根
tent|帐篷|顶; sleeping bag|睡袋|个; lantern|灯笼|个; fan|扇子|把; thermos|保温杯|个
padlock|挂锁|把; stapler|订书机|个; calculator|计算器|个; notebook|笔记本|本; backpack|背包|个
paper lantern|纸灯笼|个; chessboard|棋盘|个; abacus/abacuses|算盘|个; inkstone|砚台|方
saucepan|炖锅|口; ladle|汤勺|把; rolling pin|擀面杖|根; chopping board|砧板|块; whisk|打蛋器|个; tray|托盘|个
teacup|茶杯|个; mug|马克杯|个; napkin|餐巾|张; tablecloth|桌布|块; doormat|门垫|块; coat hanger|衣架|个
umbrella stand|伞架|个; flowerpot|花盆|个; birdcage|鸟笼|个; fishbowl|鱼缸|个; alarm clock|闹钟|个
hairbrush/hairbrushes|发刷|把; hairdryer|吹风机|个; iron|熨斗|个; sewing box|针线盒|个; thimble|顶针|个
tape measure|卷尺|个; spanner|扳子|把; pliers/|钳子|把; drill|电钻|把; nail|钉子|颗; screw|螺丝|颗
paint tin|油漆桶|个; sponge|海绵|块; dustpan|簸箕|个; feather duster|鸡毛掸子|把; plug|插头|个
light bulb|灯泡|个; extension cable|插线板|个; remote control|遥控器|个; charger|充电器|个
picture frame|相框|个; photo album|相册|本; sketchbook|素描本|本; storybook|故事书|本; comic|漫画书|本
jump rope|跳绳|根; skateboard|滑板|块; football|足球|个; tennis racket|网球拍|副; badminton racket|羽毛球拍|副
hula hoop|呼啦圈|个; marble|玻璃珠|颗; spinning top|陀螺|个; yo-yo|悠悠球|个; snow globe|水晶球|个
""")
CLOTHES = table("""
coat|外套|件; jacket|夹克|件; sweater|毛衣|件; shirt|衬衫|件; T-shirt|T恤|件; dress|连衣裙|条
skirt|裙子|条; scarf/scarves|围巾|条; hat|帽子|顶; cap|鸭舌帽|顶; raincoat|雨衣|件; vest|背心|件
uniform|校服|套; apron|围裙|条; belt|腰带|条; tie|领带|条; cardigan|开衫|件; hoodie|卫衣|件
swimsuit|泳衣|件; glove|手套|只; boot|靴子|只; sandal|凉鞋|只; slipper|拖鞋|只; sock|袜子|只
earmuff|耳罩|个; beanie|毛线帽|顶; straw hat|草帽|顶; sun hat|遮阳帽|顶; bow tie|领结|个; handkerchief|手帕|条
mitten|连指手套|只; rain boot|雨靴|只; trainer|运动鞋|只; high heel|高跟鞋|只; kimono|和服|件; cheongsam|旗袍|件
shawl|披肩|条; blouse|女式衬衫|件; overcoat|大衣|件; waistcoat|马甲|件; nightgown|睡袍|件
""")
# English, Chinese, Chinese verb for playing it
INSTRUMENTS = table("""
piano|钢琴|弹; guitar|吉他|弹; violin|小提琴|拉; cello|大提琴|拉; flute|长笛|吹; trumpet|小号|吹
drum|鼓|打; harp|竖琴|弹; erhu|二胡|拉; pipa|琵琶|弹; guzheng|古筝|弹; bamboo flute|笛子|吹
clarinet|单簧管|吹; saxophone|萨克斯|吹; accordion|手风琴|拉; harmonica|口琴|吹; ukulele|尤克里里|弹
xylophone|木琴|敲; trombone|长号|吹; tuba|大号|吹
""")
SPORTS = table("""
football|足球; basketball|篮球; table tennis|乒乓球; badminton|羽毛球; tennis|网球; volleyball|排球
baseball|棒球; swimming|游泳; running|跑步; cycling|骑车; skiing|滑雪; skating|滑冰; rowing|划船
rock climbing|攀岩; archery|射箭; judo|柔道; karate|空手道; boxing|拳击; gymnastics|体操
diving|跳水; fencing|击剑; golf|高尔夫球; hockey|曲棍球; rugby|橄榄球; kung fu|功夫; tai chi|太极拳
yoga|瑜伽; sailing|帆船; surfing|冲浪; chess|国际象棋; Chinese chess|象棋; go|围棋; long jump|跳远
high jump|跳高; skipping|跳绳; shuttlecock kicking|踢毽子; dragon boat racing|赛龙舟
""")
HOBBIES = table("""
collecting stamps|集邮; reading novels|看小说; writing poems|写诗; painting landscapes|画风景画
knitting scarves|织围巾; baking bread|烤面包; growing roses|种玫瑰; fishing in the lake|在湖边钓鱼
watching birds|观鸟; flying kites|放风筝; folding paper cranes|叠纸鹤; doing jigsaw puzzles|拼拼图
building model ships|做船模; photographing clouds|拍云彩; learning languages|学外语; telling jokes|讲笑话
singing in a choir|在合唱团唱歌; ballroom dancing|跳交谊舞; doing magic tricks|变魔术; solving riddles|猜谜语
keeping a diary|写日记; cooking for friends|给朋友做饭; repairing old radios|修理旧收音机
writing letters|写信; making pottery|做陶器; playing cards|打牌; riding horses|骑马; camping|露营
planting trees|种树; drawing cartoons|画漫画; carving wood|木雕; practising calligraphy|练书法
paper cutting|剪纸; looking at the stars|看星星; collecting shells|收集贝壳; pressing flowers|做压花
making kites|扎风筝; sewing quilts|缝被子; brewing tea|泡茶; hiking in the hills|在山里徒步
""")
COLOURS = table("""
red|红色; blue|蓝色; green|绿色; yellow|黄色; orange|橙色; purple|紫色; pink|粉色; brown|棕色
black|黑色; white|白色; grey|灰色; gold|金色; silver|银色; teal|青绿色; navy blue|藏青色
maroon|栗色; beige|米色; cream|奶油色; turquoise|绿松石色; violet|紫罗兰色; lavender|淡紫色
crimson|深红色; scarlet|猩红色; olive green|橄榄绿; indigo|靛蓝色; amber|琥珀色; coral|珊瑚色
ivory|象牙色; khaki|卡其色; mint green|薄荷绿; sky blue|天蓝色; emerald|翠绿色; rust|铁锈红
""")
MATERIALS = table("""
wood|木头; stone|石头; glass|玻璃; paper|纸; cotton|棉布; wool|羊毛; silk|丝绸; leather|皮革
iron|铁; steel|钢; copper|铜; silver|银; clay|黏土; plastic|塑料; bamboo|竹子; rubber|橡胶
linen|亚麻; brick|砖; marble|大理石; porcelain|瓷; tin|锡; jade|玉石
""")
BUILDINGS = table("""
bank|银行; pharmacy|药店; tea house|茶馆; restaurant|饭店; hotel|旅馆; theatre|剧院
stadium|体育场; gym|健身房; temple|寺庙; castle|城堡; tower|塔; bridge|桥; harbour|港口
lighthouse|灯塔; mill|磨坊; factory|工厂; workshop|工坊; garage|修车铺; fire station|消防站
police station|派出所; town hall|市政厅; airport|机场; bus stop|公交车站; square|广场; fountain|喷泉
playground|游乐场; orchard|果园; vineyard|葡萄园; greenhouse|温室; barn|谷仓; well|水井
windmill|风车; clinic|诊所; kindergarten|幼儿园; university|大学; laboratory|实验室
observatory|天文台; aquarium|水族馆; art gallery|美术馆; concert hall|音乐厅; night market|夜市
tea garden|茶园; flower shop|花店; toy shop|玩具店; shoe shop|鞋店; noodle shop|面馆
dumpling shop|饺子馆; barber's shop|理发店; tailor's shop|裁缝铺; post office|邮局; bakery|面包房
cinema|电影院; swimming pool|游泳池; skating rink|溜冰场; bowling alley|保龄球馆; ferry terminal|轮渡码头
car park|停车场; petrol station|加油站; train station|火车站; hospital|医院; museum|博物馆; zoo|动物园
""")
LANDFORMS = table("""
hill|小山; valley|山谷; lake|湖; pond|池塘; stream|小溪; waterfall|瀑布; forest|森林; meadow|草地
field|田野; island|小岛; beach|沙滩; cliff|悬崖; cave|山洞; glacier|冰川; canyon|峡谷; marsh/marshes|沼泽
bay|海湾; hot spring|温泉; sand dune|沙丘; rice terrace|梯田; bamboo grove|竹林; pine wood|松林
""")
# Tree (English, Chinese) and the colour its leaves turn in autumn ("evergreen" if they stay green)
TREES = table("""
oak|橡树|brown; pine|松树|evergreen; maple|枫树|red; willow|柳树|yellow; birch|白桦树|yellow; ginkgo|银杏树|yellow
cypress|柏树|evergreen; poplar|杨树|yellow; elm|榆树|yellow; palm|棕榈树|evergreen; banyan|榕树|evergreen
camphor tree|樟树|evergreen; peach tree|桃树|yellow; apple tree|苹果树|yellow; plum tree|梅树|yellow
chestnut tree|栗子树|brown; walnut tree|核桃树|yellow; cedar|雪松|evergreen; fir|冷杉|evergreen
""")
# Flower (English, Chinese) and its usual colour
FLOWERS = table("""
rose|玫瑰|red; lily|百合|white; tulip|郁金香|red; sunflower|向日葵|yellow; daisy|雏菊|white; orchid|兰花|purple
lotus/lotuses|荷花|pink; chrysanthemum|菊花|yellow; peony|牡丹|pink; jasmine flower|茉莉花|white; carnation|康乃馨|pink
daffodil|水仙花|yellow; magnolia|玉兰花|white; azalea|杜鹃花|pink; camellia|山茶花|red; morning glory|牵牛花|purple
dandelion|蒲公英|yellow; osmanthus flower|桂花|yellow; plum blossom|梅花|pink; cherry blossom|樱花|pink
iris/irises|鸢尾花|purple; hydrangea|绣球花|blue; poppy|虞美人|red
""")

# English, Chinese, speed in km/h (a fixed fact, so journey times are learnable)
VEHICLES = table("""
bus|公共汽车|40; train|火车|100; tram|有轨电车|30; taxi|出租车|50; ferry|渡轮|25; bicycle|自行车|15
plane|飞机|600; motorbike|摩托车|60; high-speed train|高铁|300; boat|小船|10; horse cart|马车|10
lorry|卡车|50; coach|长途汽车|80; cable car|缆车|20
""")
BODY = table("""
head|头; hair|头发; eye|眼睛; ear|耳朵; nose|鼻子; mouth|嘴; tooth/teeth|牙齿; tongue|舌头
neck|脖子; shoulder|肩膀; arm|胳膊; elbow|胳膊肘; hand|手; finger|手指; thumb|大拇指; knee|膝盖
leg|腿; foot/feet|脚; toe|脚趾; back|后背; stomach|肚子; heart|心脏; lung|肺; skin|皮肤
""")

# --- Words that go with the things above ----------------------------------------------------

# Adjective (English), Chinese attributive form, the kinds of thing it describes:
# f food, a animal, o object, c clothes, p plant
ADJECTIVES = table("""
fresh|新鲜的|fp; ripe|熟透的|f; sweet|甜甜的|f; sour|酸酸的|f; salty|咸咸的|f; spicy|辣辣的|f
crunchy|脆脆的|f; juicy|多汁的|f; soft|软软的|fc; crispy|酥脆的|f; bitter|苦苦的|f; warm|温热的|f
tender|嫩嫩的|fp; delicious|美味的|f; tasty|好吃的|f; fragrant|香喷喷的|f; homemade|自家做的|f
chewy|有嚼劲的|f; hot|热腾腾的|f; frozen|冻硬的|f; steaming|冒着热气的|f
small|小|aoc; large|大|aoc; shy|害羞的|a; curious|好奇的|a; sleepy|困倦的|a; hungry|饥饿的|a
playful|顽皮的|a; noisy|吵闹的|ao; wild|野生的|ap; friendly|友好的|a; fluffy|毛茸茸的|a
clever|聪明的|a; lazy|懒洋洋的|a; brave|勇敢的|a; gentle|温顺的|a; fierce|凶猛的|a; tiny|小小的|aop
spotted|带斑点的|ac; striped|有条纹的|ac; old|老|a; young|年幼的|ap; graceful|优雅的|a; timid|胆小的|a
new|新|oc; broken|坏掉的|o; shiny|亮闪闪的|o; heavy|沉甸甸的|o; light|轻便的|o; rusty|生锈的|o
wooden|木头做的|o; metal|金属的|o; dusty|满是灰尘的|o; clean|干净的|oc; dirty|脏兮兮的|oc
sharp|锋利的|o; huge|巨大的|o; round|圆圆的|o; square|方方的|o; cheap|便宜的|oc; expensive|昂贵的|oc
useful|有用的|o; strange|奇怪的|o; beautiful|漂亮的|ocp; plain|朴素的|oc; fancy|花哨的|oc
precious|珍贵的|o; fragile|易碎的|o; sturdy|结实的|o; folding|可折叠的|o; antique|古旧的|o
second-hand|二手的|oc; handmade|手工做的|oc; colourful|五颜六色的|oc; ordinary|普普通通的|o
woollen|羊毛的|c; cotton|棉质的|c; silk|丝绸的|c; checked|格子的|c; torn|破了的|c
comfortable|舒服的|c; tight|紧身的|c; loose|宽松的|c; waterproof|防水的|c; thick|厚厚的|c; thin|薄薄的|c
tall|高高的|p; flowering|开着花的|p; thirsty|缺水的|p; wilted|蔫了的|p; blooming|盛开的|p
leafy|枝叶茂盛的|p; climbing|爬藤的|p; sweet-smelling|香气扑鼻的|p; evergreen|四季常青的|p
smoky|烟熏的|f; sticky|黏糊糊的|f; creamy|奶香浓郁的|f; mild|清淡的|f; sugary|甜腻的|f; bland|没味道的|f
nervous|紧张的|a; loyal|忠诚的|a; proud|骄傲的|a; muddy|满身是泥的|ac; scruffy|邋里邋遢的|a; elegant|高雅的|ac
silent|安静的|o; electric|电动的|o; portable|便携的|o; enormous|硕大的|o; battered|破旧的|oc
polished|擦得锃亮的|o; spotless|一尘不染的|oc; crooked|歪歪扭扭的|o; gleaming|闪闪发光的|o; brand-new|崭新的|oc
embroidered|绣花的|c; knitted|针织的|c; fashionable|时髦的|c; old-fashioned|老式的|oc; padded|加厚的|c
faded|褪了色的|c; patched|打了补丁的|c; shady|遮阴的|p; thorny|带刺的|p; dry|干枯的|p; delicate|娇嫩的|p
golden|金黄的|fp; crumbly|松软的|f; peppery|胡椒味的|f; tangy|酸爽的|f; buttery|黄油味的|f; zesty|清香的|f
nimble|灵活的|a; hairy|毛发浓密的|a; speckled|带斑纹的|ac; long-legged|长腿的|a; sharp-eyed|眼尖的|a; plump|胖乎乎的|a
slender|苗条的|ap; ancient|古老的|op; mysterious|神秘的|o; sparkling|闪亮的|o; dented|凹了的|o; cracked|裂了的|o
velvet|丝绒的|c; denim|牛仔布的|c; lacy|带蕾丝的|c; frilly|有荷叶边的|c; hooded|带帽子的|c
withered|枯萎的|p; budding|含苞的|p; towering|高耸的|p; fallen|倒下的|p; twisted|弯弯曲曲的|p
""")
# Verb spec, Chinese verb, the kinds of thing it takes (as in ADJECTIVES)
VERBS = table("""
eat/ate/eaten|吃|f; cook|做|f; buy/bought|买|focp; taste|尝|f; wash|洗|fco; chop+|切|f; peel|剥|f
share|分享|fo; bake|烤|f; fry|炸|f; boil|煮|f; steam|蒸|f; slice|切好|f; pack|装|fo; weigh|称|fa
feed/fed|喂|a; watch|观察|a; photograph|拍|ap; draw/drew/drawn|画|aop; follow|跟踪|a; count|数|ap
hear/heard|听到|a; see/saw/seen|看见|ap; pet+|摸|a; find/found|找到|aoc; chase|追|a; rescue|救|a
use|用|o; fix|修|o; clean|擦|o; borrow|借|o; carry|拿|o; lose/lost|弄丢|oc; paint|漆|o
wrap+|包|o; polish|擦亮|o; sell/sold|卖|ofcp; open|打开|o; check|检查|o; drop+|摔|o; mend|修补|oc
wear/wore/worn|穿|c; fold|叠|c; iron|熨|c; hang/hung|挂|oc; knit+|织|c; sew/sewed/sewn|缝|c
water|浇灌|p; plant|种|p; pick|摘|fp; smell|闻|fp; trim+|修剪|p; grow/grew/grown|种植|p
clean up|收拾|o; look after|照顾|ap; sort|整理|oc; hide/hid/hidden|藏|oc
admire|欣赏|aocp; measure|量|aoc; rinse|冲洗|fo; stir|搅拌|f; mash|捣碎|f; grate|磨碎|f; squeeze|挤|f
roast|烘烤|f; toast|烘|f; freeze/froze/frozen|冻|f; store|储存|fo; serve|端上|f; order|点|f
groom|梳理|a; tame|驯服|a; train|训练|a; weigh up|打量|a; sketch|素描|aop; study|研究|aop
repair|修理|oc; replace|更换|oc; decorate|装饰|o; return|归还|oc; give/gave/given|送|ofcp; lend/lent|借出|o
unpack|拆开|o; wrap up|包好|oc; try on|试穿|c; patch|缝补|c; dye|染|c; button up|扣好|c
dig+/dug|挖|p; harvest|收获|fp; gather|采集|fp; arrange|摆放|po
inspect|检验|aoc; label|贴标签|fo; collect|收集|ocp; fetch|取|fo; throw/threw/thrown|扔|o; catch/caught|接住|oa
wipe|擦拭|o; scrub|刷洗|oc; rub+|揉|fo; shake/shook/shaken|摇|o; carve|雕刻|of; chew|嚼|f; sip+|小口喝|f
swallow|吞|f; season|调味|f; marinate|腌|f; sprinkle|撒|f; pour|倒|f; spill/spilt|洒|f; weave/wove/woven|编织|c
stitch|缝制|c; darn|织补|c; lace|系|c; zip+|拉上|c; pat+|拍拍|a; stroke|抚摸|a; hug+|抱|a; scare|吓|a
brush|刷|ao; photocopy|复印|o; scan+|扫描|o; print|打印|o; post|寄|o; weigh out|称出|f
plant out|移栽|p; spray|喷|p; fertilise|施肥|p; cut/cut|剪|pc; tie up|捆好|po
""")
ADVERBS = table("""
carefully|小心; quickly|很快; slowly|慢慢; quietly|悄悄; happily|高高兴兴; gently|轻轻
proudly|骄傲; patiently|耐心; eagerly|急切; calmly|平静; cheerfully|愉快; neatly|整整齐齐
busily|忙忙碌碌; bravely|勇敢; politely|礼貌; silently|默默; nervously|紧张; kindly|亲切
clumsily|笨手笨脚; skilfully|熟练; lazily|懒洋洋; cautiously|谨慎; joyfully|欢快
curiously|好奇; seriously|认真; hurriedly|匆匆忙忙; steadily|稳稳; gracefully|优雅; warmly|热情
shyly|害羞; thoughtfully|若有所思; tirelessly|不知疲倦; secretly|偷偷
wisely|明智; boldly|大胆; gladly|乐意; sleepily|睡眼惺忪; anxiously|焦急
confidently|自信; smoothly|顺利; loudly|大声; briskly|轻快; swiftly|飞快; grandly|隆重; playfully|调皮
promptly|立即; merrily|快快乐乐; sadly|难过; angrily|生气; wearily|疲惫
lightly|轻巧; firmly|用力; openly|公开; honestly|诚实; fairly|公平; properly|好好; freely|自由自在
roughly|粗略; sweetly|甜甜; softly|柔和; brightly|明亮; awkwardly|别扭
casually|随意; deliberately|故意; gratefully|感激; hopefully|满怀希望; lovingly|充满爱意
nimbly|灵巧; precisely|精确; rapidly|迅速; sincerely|真诚
""")
# An event and the feeling it always causes, so feelings are predictable from events.
FEELINGS = table("""
happy|开心; sad|难过; tired|累; excited|激动; nervous|紧张; proud|自豪; surprised|惊讶
calm|平静; bored|无聊; angry|生气; worried|担心; relieved|轻松; lonely|孤单; grateful|感激
sleepy|困; hungry|饿; thirsty|渴; cheerful|高兴; confused|困惑; homesick|想家; scared|害怕
satisfied|满意; amazed|惊奇; puzzled|纳闷; embarrassed|不好意思; disappointed|失望; hopeful|有信心
""")

# --- Sayings ---------------------------------------------------------------------------------

# Chinese idiom (成语) and what it means
CHENGYU = table("""
一石二鸟|做一件事得到两个好处
画蛇添足|做了多余的事，反而把事情弄坏了
守株待兔|不主动努力，只想着碰运气
亡羊补牢|出了问题以后赶快补救，还不算晚
对牛弹琴|对不懂道理的人讲道理，白费力气
井底之蛙|见识很少、眼光很窄的人
半途而废|事情做到一半就不做了
一心一意|心思只放在一件事上
三心二意|心思不专一，拿不定主意
自言自语|自己跟自己说话
津津有味|吃得或看得很有兴趣
兴高采烈|心情非常高兴
小心翼翼|做事非常小心谨慎
一模一样|两样东西完全相同
五颜六色|颜色很多，非常鲜艳
七上八下|心里很不安定
九牛一毛|很多东西中极小的一部分
一针见血|说话直截了当，切中要害
一见如故|第一次见面就像老朋友一样
一诺千金|说话算数，非常守信用
一日千里|进步或发展得非常快
三顾茅庐|诚心诚意地一再邀请
四面八方|各个方向，各个地方
五湖四海|全国各地
六神无主|心慌意乱，拿不定主意
七嘴八舌|人多嘴杂，你一言我一语
八仙过海|各自有各自的办法
十万火急|情况非常紧急
千军万马|声势浩大
万众一心|千千万万的人一条心
百花齐放|各种不同的东西一起繁荣发展
百闻不如一见|听得再多也不如亲眼看一看
春华秋实|春天开花，秋天结果
夏日炎炎|夏天天气炎热
冬去春来|冬天过去，春天到来
花好月圆|美好圆满
月明星稀|月亮明亮，星星稀少
风平浪静|没有风浪，非常平静
天高地厚|形容天地广大
山高水长|形容恩情深厚久远
海阔天空|像大海一样辽阔，像天空一样无边
草木皆兵|因为害怕而疑神疑鬼
鸦雀无声|非常安静，一点声音也没有
龙飞凤舞|书法笔势活泼有力
虎虎生威|形容很有气势
马不停蹄|一刻也不停留
鱼目混珠|用假的冒充真的
对症下药|针对具体问题采取办法
开卷有益|读书总有好处
笨鸟先飞|能力差的人做事时先行动
自告奋勇|主动要求承担任务
再接再厉|继续努力，不断前进
全力以赴|用尽全部力气去做
兢兢业业|做事小心谨慎，认真负责
任劳任怨|不怕辛苦，不怕别人埋怨
欢天喜地|非常欢喜
喜出望外|遇到意想不到的喜事，特别高兴
大吃一惊|非常吃惊
大惊小怪|对不值得奇怪的事情过分惊讶
不慌不忙|不慌张，不忙乱，很镇静
慢条斯理|动作缓慢，不慌不忙
急中生智|在紧急的时候想出了好办法
十全十美|非常完美，没有缺点
千方百计|想尽各种办法
万紫千红|花开得很多，颜色艳丽
百发百中|每次都能命中目标
一举两得|做一件事得到两个收获
一目了然|一眼就能看得清清楚楚
一鸣惊人|平时不出声，一做起来就让人吃惊
一帆风顺|事情进行得非常顺利
一丝不苟|做事认真，一点儿也不马虎
熟能生巧|做得多了就能找到窍门
滴水穿石|力量虽小，坚持下去就能成功
循序渐进|按照顺序一步一步地前进
持之以恒|长久地坚持下去
不耻下问|不以向不如自己的人请教为耻
学而不厌|学习总是不觉得满足
温故知新|复习学过的知识，能得到新的体会
举一反三|从一件事类推而知道很多事
走马观花|粗略地看一看
画龙点睛|在关键的地方加上一笔，使内容更生动
胸有成竹|做事之前已经有了完整的打算
杯弓蛇影|疑神疑鬼，自己吓自己
掩耳盗铃|自己欺骗自己
刻舟求剑|不懂得事情已经变化，还用老办法
叶公好龙|表面上喜欢，其实并不真喜欢
愚公移山|下定决心，坚持不懈地做事
精卫填海|意志坚定，不怕困难
狐假虎威|倚仗别人的势力欺负人
鹤立鸡群|一个人的才能或外表在一群人里特别突出
虎头蛇尾|开始时声势很大，后来劲头很小
如鱼得水|得到了非常适合自己的环境
鸟语花香|春天景色美好
春暖花开|春天天气温暖，百花盛开
秋高气爽|秋天天空晴朗，空气清爽
冰天雪地|到处都是冰雪，非常寒冷
风和日丽|风很温和，阳光明媚
山清水秀|山水风景十分优美
人山人海|人非常多
车水马龙|街上车马来往不断，非常热闹
络绎不绝|人、马、车、船来来往往，接连不断
莫名其妙|说不出其中的道理，让人觉得奇怪
迫不及待|急迫得不能再等待
手舞足蹈|高兴得跳起舞来
哈哈大笑|高兴地放声大笑
笑逐颜开|满脸笑容，非常高兴
心花怒放|心里高兴得像花儿盛开一样
垂头丧气|因为失败或不顺利而情绪低落
忐忑不安|心神不定，非常不安
目瞪口呆|因为吃惊而说不出话来
恍然大悟|一下子明白过来
全神贯注|注意力非常集中
聚精会神|集中精神，专心致志
专心致志|一心一意，集中精力
废寝忘食|非常专心努力，连睡觉吃饭都忘了
争先恐后|抢着往前，唯恐落后
齐心协力|大家一条心，共同努力
同舟共济|大家团结互助，共同渡过困难
助人为乐|把帮助别人当作快乐的事
拾金不昧|捡到钱财不藏起来，归还失主
言而有信|说话算数，守信用
诚心诚意|真心实意
彬彬有礼|文雅而有礼貌
落落大方|言谈举止自然大方
自由自在|没有约束，非常自在
无忧无虑|没有任何忧愁和顾虑
各种各样|有很多不同的种类
独一无二|只有一个，没有相同的
与众不同|和大家不一样
井井有条|条理清楚，整整齐齐
乱七八糟|非常混乱，没有秩序
一干二净|非常干净，什么都没有留下
千变万化|变化非常多
日新月异|每天每月都有新的变化
取长补短|吸取别人的长处来弥补自己的短处
实事求是|从实际出发，按照事情本来的样子去做
脚踏实地|做事踏实认真
坐井观天|眼界狭小，所见有限
有条不紊|做事有条理，一点儿也不乱
后来居上|后来的超过了先前的
积少成多|一点一点积累起来就会变多
水落石出|事情的真相完全显露出来
雪中送炭|在别人急需的时候给予帮助
锦上添花|在美好的事物上再添一些美好的东西
南辕北辙|行动和目的正好相反
拔苗助长|违反事物的规律，急于求成，反而把事情弄糟
邯郸学步|模仿别人不成，反而把自己原来的本领忘了
朝三暮四|主意变来变去，没有定准
闻鸡起舞|勤奋刻苦，很早就起来练习
卧薪尝胆|刻苦自励，发愤图强
纸上谈兵|只会空谈理论，不能解决实际问题
望梅止渴|用空想来安慰自己
成竹在胸|心里早有打算
不可思议|难以想象，让人觉得很奇怪
马到成功|一开始就取得成功
大器晚成|有才能的人成就往往来得比较晚
光阴似箭|时间过得非常快
争分夺秒|不放过一分一秒，抓紧时间
一寸光阴一寸金|时间非常宝贵
""")
# English idiom and what it means
EN_IDIOMS = table("""
break the ice|start a friendly conversation with someone new
a piece of cake|something very easy
under the weather|feeling a little ill
hit the books|study hard
call it a day|stop working for today
on cloud nine|extremely happy
spill the beans|tell a secret by accident
once in a blue moon|very rarely
cost an arm and a leg|be very expensive
let the cat out of the bag|reveal a secret
the early bird catches the worm|people who start early get the best chances
practice makes perfect|doing something often makes you good at it
when pigs fly|never
hit the road|leave and start a journey
keep your chin up|stay cheerful in a hard time
a blessing in disguise|something that looks bad at first but turns out to be good
the ball is in your court|it is your turn to decide
bite off more than you can chew|try to do more than you are able to
cry over spilt milk|be upset about something that cannot be changed
every cloud has a silver lining|there is something good in every bad situation
get cold feet|become nervous just before an important event
in hot water|in trouble
it takes two to tango|both people share the responsibility
jump on the bandwagon|join something because it is popular
kill time|do something while waiting
a drop in the ocean|a very small amount compared with what is needed
by the skin of your teeth|only just
cut corners|do something badly to save time or money
down to earth|practical and friendly
go the extra mile|do more than you are asked to
hang in there|do not give up
hit the nail on the head|say exactly the right thing
in the same boat|in the same difficult situation
keep an eye on|watch something carefully
miss the boat|lose a chance by being too slow
no pain, no gain|you must work hard to get good results
on the fence|not able to decide
out of the blue|suddenly and unexpectedly
pull someone's leg|joke with someone
see eye to eye|agree completely
sit tight|wait patiently
take it easy|relax
the best of both worlds|all the advantages of two different things
through thick and thin|in good times and bad times
time flies|time passes very quickly
under one roof|in the same building
up in the air|not yet decided
walk on air|feel very happy
a fish out of water|someone in a place where they feel uncomfortable
as busy as a bee|very busy
on the tip of my tongue|almost remembered but not quite
over the moon|very pleased
play it by ear|decide what to do as things happen
rain cats and dogs|rain very heavily
the last straw|the final problem that makes a situation too much
a storm in a teacup|a lot of worry about something small
better late than never|it is better to do something late than not at all
don't judge a book by its cover|don't judge something by how it looks
two heads are better than one|two people can solve a problem better than one
actions speak louder than words|what you do matters more than what you say
all ears|listening eagerly
back to square one|back to the beginning
burn the midnight oil|work late into the night
get the hang of it|learn how to do something
hold your horses|wait a moment
learn the ropes|learn how to do a job
""")

# --- Real places -----------------------------------------------------------------------------

# Province (English, Chinese), capital (English, Chinese): China's provinces and their capitals.
PROVINCES = table("""
Hebei|河北|Shijiazhuang|石家庄; Shanxi|山西|Taiyuan|太原; Liaoning|辽宁|Shenyang|沈阳
Jilin|吉林|Changchun|长春; Heilongjiang|黑龙江|Harbin|哈尔滨; Jiangsu|江苏|Nanjing|南京
Zhejiang|浙江|Hangzhou|杭州; Anhui|安徽|Hefei|合肥; Fujian|福建|Fuzhou|福州; Jiangxi|江西|Nanchang|南昌
Shandong|山东|Jinan|济南; Henan|河南|Zhengzhou|郑州; Hubei|湖北|Wuhan|武汉; Hunan|湖南|Changsha|长沙
Guangdong|广东|Guangzhou|广州; Hainan|海南|Haikou|海口; Sichuan|四川|Chengdu|成都
Guizhou|贵州|Guiyang|贵阳; Yunnan|云南|Kunming|昆明; Shaanxi|陕西|Xi'an|西安; Gansu|甘肃|Lanzhou|兰州
Qinghai|青海|Xining|西宁
""")
# More countries and capitals (English, Chinese) beyond the ones the dialogues ask about.
MORE_CAPITALS = table("""
Portugal|葡萄牙|Lisbon|里斯本; Greece|希腊|Athens|雅典; Sweden|瑞典|Stockholm|斯德哥尔摩
Finland|芬兰|Helsinki|赫尔辛基; Denmark|丹麦|Copenhagen|哥本哈根; Poland|波兰|Warsaw|华沙
Austria|奥地利|Vienna|维也纳; Switzerland|瑞士|Bern|伯尔尼; the Netherlands|荷兰|Amsterdam|阿姆斯特丹
Belgium|比利时|Brussels|布鲁塞尔; Hungary|匈牙利|Budapest|布达佩斯; Turkey|土耳其|Ankara|安卡拉
Iran|伊朗|Tehran|德黑兰; Vietnam|越南|Hanoi|河内; Indonesia|印度尼西亚|Jakarta|雅加达
the Philippines|菲律宾|Manila|马尼拉; Malaysia|马来西亚|Kuala Lumpur|吉隆坡; Mongolia|蒙古|Ulaanbaatar|乌兰巴托
Pakistan|巴基斯坦|Islamabad|伊斯兰堡; Nepal|尼泊尔|Kathmandu|加德满都; Argentina|阿根廷|Buenos Aires|布宜诺斯艾利斯
Chile|智利|Santiago|圣地亚哥; Colombia|哥伦比亚|Bogota|波哥大; Cuba|古巴|Havana|哈瓦那
New Zealand|新西兰|Wellington|惠灵顿; Morocco|摩洛哥|Rabat|拉巴特; Ethiopia|埃塞俄比亚|Addis Ababa|亚的斯亚贝巴
Nigeria|尼日利亚|Abuja|阿布贾; Ghana|加纳|Accra|阿克拉; Iceland|冰岛|Reykjavik|雷克雅未克
""")
PLANETS = table("""
Mercury|水星|1; Venus|金星|2; Earth|地球|3; Mars|火星|4; Jupiter|木星|5; Saturn|土星|6
Uranus|天王星|7; Neptune|海王星|8
""")

# --- Syllables for made-up names, each with its Chinese transliteration -----------------------

NAME_STARTS = table("""
Al|阿尔; Bel|贝尔; Cor|科尔; Dar|达尔; El|埃尔; Fen|芬; Gal|加尔; Har|哈尔; Is|伊斯; Jor|乔尔
Kal|卡尔; Lor|洛尔; Mar|马尔; Nor|诺尔; Or|奥尔; Per|佩尔; Ros|罗斯; Sel|塞尔; Tam|塔姆; Val|瓦尔
Wil|威尔; Zan|赞; Bri|布里; Cla|克拉; Dra|德拉; Fla|弗拉; Gre|格雷; Tre|特雷; Ste|斯特; Mel|梅尔
Ced|塞德; Ev|埃夫; Lin|林; Ad|阿德; Em|埃姆; Hel|赫尔; Nik|尼克; Sab|萨布; Ter|特尔; Vin|文
""")
NAME_ENDS_F = table("a|娅; ina|伊娜; ella|埃拉; ia|亚; ette|艾特; ora|奥拉; yn|琳; issa|伊莎; ine|因; ara|阿拉; ana|安娜")
NAME_ENDS_M = table("an|安; o|奥; ric|里克; in|因; on|翁; us|乌斯; ard|阿德; en|恩; ias|亚斯; ek|埃克; ald|阿尔德")
SURNAME_STARTS = table("""
Ash|阿什; Black|布莱克; Bright|布赖特; Brook|布鲁克; Cold|科尔德; Dun|邓; East|伊斯特; Fair|费尔
Fern|弗恩; Green|格林; Hart|哈特; Hawk|霍克; Hill|希尔; Holt|霍尔特; Kings|金斯; Lang|兰
Marsh|马什; Mill|米尔; North|诺斯; Oak|奥克; Pen|彭; Red|雷德; Rock|罗克; Rose|罗斯; Shaw|肖
Stone|斯通; Thorn|索恩; West|韦斯特; White|怀特; Wild|怀尔德
""")
SURNAME_ENDS = table("""
well|韦尔; wood|伍德; ford|福德; field|菲尔德; by|比; ley|利; more|莫尔; ton|顿; wick|威克
worth|沃思; bridge|布里奇; dale|代尔; stead|斯特德; hurst|赫斯特; croft|克罗夫特
""")
TOWN_STARTS = table("""
Aber|阿伯; Bal|巴尔; Car|卡; Glen|格伦; Kil|基尔; Lan|兰; Mor|莫; Stra|斯特拉; Tor|托; Wyn|温
Cas|卡斯; Fal|法尔; Lud|拉德; Nar|纳尔; Ost|奥斯特; Rav|拉夫; Sil|西尔; Ven|文; Yel|耶尔; Zor|佐尔
Bran|布兰; Crow|克罗; Elm|埃尔姆; Gray|格雷; Lock|洛克; Mist|米斯特; Sand|桑德; Tal|塔尔
""")
TOWN_ENDS = table("""
mouth|茅斯; ham|汉姆; bury|伯里; haven|黑文; port|波特; mere|米尔; gate|盖特; minster|明斯特
thorpe|索普; cliff|克利夫; ridge|里奇; ton|顿; by|比; field|菲尔德; dale|代尔; brook|布鲁克
""")
RIVER_STARTS = table("Ael|埃尔; Bren|布伦; Cal|卡尔; Dor|多尔; Ess|埃斯; Hal|哈尔; Lys|利斯; Nen|嫩; Sev|塞夫; Tav|塔夫; Wen|文; Ur|乌尔")
RIVER_ENDS = table("a|阿; en|恩; wy|威; ore|奥尔; ent|恩特; is|伊斯")
BRAND_STARTS = ["Zen", "Lum", "Vex", "Nov", "Orb", "Pix", "Qua", "Tek", "Vol", "Kin", "Arc", "Syn", "Hel",
                "Nim", "Fyr", "Jov", "Mox", "Ryn"]
BRAND_ENDS = ["ix", "ora", "tron", "ly", "io", "ex", "ara", "uno", "ent", "ify", "ova", "ax"]

# Chinese places: characters with their pinyin; a town name is two of them plus a suffix.
ZH_PLACE_CHARS = table("""
青|Qing; 石|shi; 白|Bai; 云|yun; 红|Hong; 枫|feng; 金|Jin; 沙|sha; 银|Yin; 溪|xi; 柳|Liu; 桥|qiao
松|Song; 岭|ling; 杏|Xing; 花|hua; 梅|Mei; 林|lin; 龙|Long; 泉|quan; 凤|Feng; 鸣|ming; 桃|Tao; 源|yuan
清|Qing; 河|he; 黄|Huang; 碧|Bi; 水|shui; 翠|Cui; 竹|zhu; 鹿|Lu; 安|An; 宁|ning; 平|ping; 乐|le
东|Dong; 西|Xi; 南|Nan; 北|Bei; 新|Xin; 古|Gu; 望|Wang; 月|yue; 星|xing; 山|shan; 湖|hu; 湾|wan
阳|yang; 丰|Feng; 宝|Bao; 玉|Yu; 兴|xing; 和|he; 春|Chun; 秋|qiu; 霞|xia; 雁|Yan; 莲|lian; 茶|Cha
橘|Ju; 稻|dao; 麦|Mai; 泽|ze; 峰|feng; 洲|zhou; 岗|gang; 浦|pu
""")
ZH_PLACE_KINDS = [("镇", "Town"), ("村", "Village"), ("市", "City")]
ZH_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
               "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤")
ZH_COMPOUND_SURNAMES = ["欧阳", "司马", "诸葛", "上官", "东方", "慕容"]
ZH_GIVEN_M = ("伟强磊军勇杰涛明超刚华斌鹏辉宇浩凯健俊帆旭龙林晨阳轩博睿泽航峰岩松柏远志鸿飞翔天安康泰顺祥永春亮毅坤"
              "建国平文武德忠义礼仁智信诚东海波江山川石金鑫森炎晋鹤鹰骏驰腾跃奔豪彬昊晟昱晖暄朗煜烨炜琛瑞璋琨"
              "锋铭锐钧铮楠桐梓栋槐岳峻崇嵩霖雷霆震霄宏弘恒衡彦隽哲聪捷庆福寿禄荣昌盛兴旺隆达通畅舒逸然默")
ZH_GIVEN_F = ("芳娜敏静丽艳娟秀霞桂英玉萍红玲芬燕欣雪琳思雨梦涵怡佳嘉婷悦晓颖璐蕾瑶琪晴月梅兰菊荷云心语乐珊慧洁倩"
              "美娇媛婉娴姗妍姝婕嫣妮娅蓉莉莎菲蕊薇茜萌苗芸芝荔莹萱茹蔓蓓馨香韵音歌舞诗书画琴瑟筝笛露霜霓虹彩"
              "丹青翠碧紫黛素纯贞淑婧婵娥凤鸾莺鹂蝶璇瑜琼瑛瑾琦珍珠钰银暖曦")

# Made-up facts that attach to places: festivals, what a region is like.
FESTIVALS = table("""
a lantern festival|灯笼节; a kite festival|风筝节; a flower festival|赏花节; a harvest festival|丰收节
a music festival|音乐节; a boat race|划船比赛; a cheese fair|奶酪集市; a tea fair|茶叶博览会
a horse fair|马市; a book fair|书市; a fireworks night|烟花晚会; a pumpkin contest|南瓜大赛
a snow sculpture festival|冰雪雕塑节; a noodle festival|面条节; a dragon dance|舞龙表演; a poetry contest|诗歌比赛
""")
REGIONS = table("""
in the hills|在山区; on the coast|在海边; in a wide valley|在一个宽阔的山谷里; on a plain|在平原上
beside a large lake|在一个大湖旁边; at the edge of a forest|在森林边上; on an island|在一个岛上
in the mountains|在大山里; among rice fields|在稻田中间; near the desert|在沙漠附近
""")
SEASONS = table("spring|春天; summer|夏天; autumn|秋天; winter|冬天")
# Product categories: English, Chinese, typical weight range in grams, price range in dollars
PRODUCTS = table("""
laptop|笔记本电脑|1100|2200|400|1500; phone|手机|140|230|150|1000; tablet|平板电脑|300|700|200|900
camera|相机|350|900|250|1800; pair of headphones|耳机|150|350|30|350; speaker|蓝牙音箱|300|1200|25|300
smartwatch/smartwatches|智能手表|30|70|60|450; electric kettle|电水壶|700|1400|20|90
vacuum cleaner|吸尘器|1800|4500|80|600; rice cooker|电饭煲|2000|4000|40|250; desk fan|台式风扇|900|2500|15|80
heater|取暖器|1500|5000|30|200; desk lamp|台灯|400|1600|12|120; tent|帐篷|1200|4000|40|500
coffee machine|咖啡机|2500|8000|60|900; blender|榨汁机|1200|3500|25|200; printer|打印机|3000|9000|60|450
keyboard|键盘|400|1200|15|200; drone|无人机|250|1400|100|1500; e-reader|电子书阅读器|170|300|80|300
electric scooter|电动滑板车|9000|15000|250|900; toaster|烤面包机|800|2000|20|120; microwave|微波炉|9000|15000|60|350
air purifier|空气净化器|3000|8000|80|600; sewing machine|缝纫机|4000|9000|90|700
""")
FEATURES = table("""
battery|电池; screen|屏幕; sound|音质; design|外观; price|价格; weight|重量; speed|速度; build|做工
buttons|按键; noise|噪音; colours|配色; instructions|说明书
""")

# --- More words: things people do on their own, what they are like, where they are -----------

# Intransitive verb (spec), Chinese (works with 了一会儿: 笑了一会儿), i(ndoors) or o(utdoors)
ACTIVITIES = table("""
laugh|笑|i; cry|哭|i; sleep/slept|睡|i; rest|休息|i; sing/sang/sung|唱歌|i; dance|跳舞|i; run+/ran/run|跑步|o; swim+/swam/swum|游泳|o
read/read|看书|i; write/wrote/written|写字|i; wait|等|i; think/thought|想|i; walk|散步|o; jog+|慢跑|o; nap+|打盹|i; chat+|聊天|i
play|玩|i; study|学习|i; whistle|吹口哨|i; hum+|哼歌|i; shout|喊|i; whisper|小声说话|i; knit+|织毛衣|i; exercise|锻炼|i
relax|放松|i; meditate|冥想|i; paint|画画|i; yawn|打哈欠|i; sit+/sat|坐|i; stand/stood|站|i; lie down/lay|躺|i
float|漂|o; dive|潜水|o; skate|滑冰|o; ski|滑雪|o; climb|爬山|o; hike|徒步|o; camp|露营|o; fish|钓鱼|o; row|划船|o
cycle|骑车|o; shop+|购物|o; travel|旅行|o; dream|做梦|i; daydream|发呆|i; giggle|咯咯地笑|i; sigh|叹气|i; shiver|发抖|i
wander|闲逛|o; stroll|溜达|o; march|行进|o; jump|跳|i; hop+|单脚跳|i; crawl|爬|i; argue|争论|i; cheer|欢呼|i
clap+|鼓掌|i; wave|挥手|i; nod+|点头|i; smile|微笑|i; frown|皱眉|i; blush|脸红|i; listen|听|i; practise|练习|i
sketch|画素描|i; bake|烤东西|i; garden|干园艺活|o; tidy up|收拾屋子|i; sweep/swept|扫地|i; stretch|伸展身体|i
kneel/knelt|跪|i; pray|祈祷|i; gossip|闲聊|i; joke|开玩笑|i; hurry|赶路|o; paddle|划桨|o; sunbathe|晒太阳|o
skip+|跳绳|i; juggle|抛接球|i; tumble|翻跟头|i; somersault|翻筋斗|i; bow|鞠躬|i; salute|敬礼|i; recite|背诵|i
rehearse|排练|i; perform|表演|i; stargaze|看星星|o; birdwatch|观鸟|o; volunteer|做志愿者|i; babysit/babysat|照看小孩|i
revise|复习|i; doodle|涂鸦|i; scribble|乱写|i; tinker|捣鼓东西|i; stroll along|沿路溜达|i; wade|蹚水|o; splash|泼水|i
snooze|小睡|i; lounge|闲躺|i; mumble|嘟囔|i; chuckle|轻声笑|i; grin+|咧嘴笑|i; weep/wept|流泪|i; snore|打鼾|i; sneeze|打喷嚏|i
cough|咳嗽|i; gaze|凝视|i; peek|偷看|i; wink|眨眼|i; stumble|踉跄|i; limp|一瘸一拐地走|i; skid+|打滑|o; slide/slid|滑|i
swing/swung|荡秋千|o; bounce|蹦|i; twirl|转圈|i; waltz|跳华尔兹|i; sprint|冲刺|o; trot+|小跑|o
""")
# Personality adjective (English), Chinese predicate
TRAITS = table("""
kind|善良; honest|诚实; patient|有耐心; cheerful|开朗; shy|害羞; brave|勇敢; clever|聪明; calm|冷静
generous|大方; polite|有礼貌; funny|幽默; careful|细心; curious|好奇; gentle|温和; hard-working|勤奋
lazy|懒; modest|谦虚; proud|骄傲; quiet|安静; talkative|爱说话; friendly|友好; stubborn|固执
thoughtful|体贴; lively|活泼; serious|认真; forgetful|健忘; tidy|爱整洁; messy|不爱收拾; cautious|谨慎
creative|有创意; practical|务实; confident|自信; humble|谦逊; loyal|忠诚; reliable|可靠; easy-going|随和
impatient|急躁; sensible|明事理; sociable|爱交际; strict|严格; warm-hearted|热心; absent-minded|心不在焉
ambitious|有抱负; grumpy|爱发牢骚; sincere|真诚; optimistic|乐观; energetic|精力充沛
""")
RELATIVES = table("""
mother|妈妈; father|爸爸; sister|姐姐; brother|哥哥; grandmother|奶奶; grandfather|爷爷; aunt|阿姨
uncle|叔叔; cousin|表妹; daughter|女儿; son|儿子; niece|侄女; nephew|侄子; wife/wives|妻子; husband|丈夫
neighbour|邻居; best friend|好朋友; classmate|同学; teacher|老师; flatmate|室友
""")
ROOMS = table("""
kitchen|厨房; bedroom|卧室; living room|客厅; bathroom|浴室; study|书房; attic|阁楼; cellar|地下室
balcony|阳台; garden shed|花园小屋; hallway|走廊; dining room|餐厅; laundry|洗衣房; garage|车库
porch/porches|门廊; nursery|婴儿房; workshop|工作间; storeroom|储藏室; courtyard|院子
""")
# Abstract noun (spec), Chinese; and verbs that take them
IDEAS = table("""
idea|想法; plan|计划; problem|问题; answer|答案; question|提问; reason|原因; story|故事; secret|秘密
promise|承诺; habit|习惯; dream|梦想; rule|规则; joke|笑话; riddle|谜语; puzzle|难题; lesson|功课
report|报告; speech/speeches|演讲; poem|诗; song|歌; letter|信; message|消息; list|清单; recipe|菜谱
budget|预算; timetable|时间表; map|地图; diary|日记; essay|作文; exam|考试; homework/|作业
invitation|邀请函; apology/apologies|道歉信; menu|菜单; shopping list|购物清单; birthday card|生日贺卡
experiment|实验; project|项目; drawing|图画; model|模型; journey|旅程; interview|采访; contest|比赛
proposal|提议; suggestion|建议; instruction|说明; announcement|通知; diagram|图表; notice|告示; chapter|章节
""")
IDEA_VERBS = table("""
discuss|讨论; explain|解释; remember|记住; forget/forgot/forgotten|忘记; write/wrote/written|写; read/read|读
share|分享; check|检查; finish|完成; prepare|准备; change|修改; copy|抄; plan+|计划; solve|解决
imagine|想象; describe|描述; practise|练习; review|复习; memorise|背; translate|翻译
""")

# --- Real facts: countries' languages and money, festivals, health, shapes, stones ------------

# Country (English, Chinese), language (English, Chinese), currency (English, Chinese)
LANGUAGES = table("""
Japan|日本|Japanese|日语|yen|日元; France|法国|French|法语|euro|欧元; Germany|德国|German|德语|euro|欧元
Spain|西班牙|Spanish|西班牙语|euro|欧元; Italy|意大利|Italian|意大利语|euro|欧元; China|中国|Chinese|汉语|yuan|人民币
Russia|俄罗斯|Russian|俄语|rouble|卢布; Brazil|巴西|Portuguese|葡萄牙语|real|雷亚尔; Mexico|墨西哥|Spanish|西班牙语|peso|比索
South Korea|韩国|Korean|韩语|won|韩元; India|印度|Hindi|印地语|rupee|卢比; Thailand|泰国|Thai|泰语|baht|泰铢
Vietnam|越南|Vietnamese|越南语|dong|越南盾; Egypt|埃及|Arabic|阿拉伯语|pound|埃及镑; Turkey|土耳其|Turkish|土耳其语|lira|里拉
Sweden|瑞典|Swedish|瑞典语|krona|克朗; Poland|波兰|Polish|波兰语|zloty|兹罗提; Greece|希腊|Greek|希腊语|euro|欧元
the United Kingdom|英国|English|英语|pound|英镑; Indonesia|印度尼西亚|Indonesian|印尼语|rupiah|印尼盾
""")
# Festival (English, Chinese), when (English, Chinese), what people eat (English, Chinese), a custom (English, Chinese)
FESTIVAL_FACTS = table("""
the Spring Festival|春节|on the first day of the lunar new year|在农历正月初一|dumplings|饺子|set off fireworks|放鞭炮
the Lantern Festival|元宵节|on the fifteenth day of the first lunar month|在农历正月十五|sweet rice balls|汤圆|guess riddles written on lanterns|猜灯谜
the Dragon Boat Festival|端午节|on the fifth day of the fifth lunar month|在农历五月初五|rice dumplings|粽子|race dragon boats|赛龙舟
the Mid-Autumn Festival|中秋节|on the fifteenth day of the eighth lunar month|在农历八月十五|mooncakes|月饼|look at the full moon|赏月
the Qingming Festival|清明节|in early April|在四月初|cold food|青团|sweep the graves of their families|扫墓
the Double Ninth Festival|重阳节|on the ninth day of the ninth lunar month|在农历九月初九|chrysanthemum cake|重阳糕|climb hills|登高
Christmas|圣诞节|on the twenty-fifth of December|在十二月二十五日|roast turkey|烤火鸡|give each other presents|互相送礼物
New Year's Day|元旦|on the first of January|在一月一日|a big dinner|一顿丰盛的晚餐|stay up until midnight|熬夜等到午夜
""")
# Complaint (English, Chinese) and advice (English, Chinese): always paired.
AILMENTS = table("""
a cold|感冒了|rest and drink plenty of warm water|多休息，多喝温水
a cough|咳嗽|drink honey and warm water|喝点蜂蜜水
a headache|头疼|lie down in a quiet, dark room|在安静、昏暗的房间里躺一会儿
a sore throat|嗓子疼|speak less and drink warm tea|少说话，多喝温茶
a fever|发烧了|rest in bed and see a doctor if it lasts|卧床休息，如果一直不退烧就去看医生
a toothache|牙疼|see a dentist|去看牙医
a stomach ache|肚子疼|eat plain food such as rice porridge|吃点清淡的东西，比如白粥
a sunburn|晒伤了|stay in the shade and cool the skin with water|待在阴凉处，用清水给皮肤降温
a cut finger|手指划破了|wash it with clean water and cover it with a plaster|用清水冲洗，再贴上创可贴
a sprained ankle|扭伤了脚踝|rest it, put ice on it and keep it raised|休息，冰敷，并把脚垫高
tired eyes|眼睛累了|look at something far away for a few minutes|看一会儿远处的东西
hiccups|打嗝|take a slow drink of water|慢慢地喝几口水
""")
SHAPES = table("""
triangle|三角形|3; square|正方形|4; rectangle|长方形|4; pentagon|五边形|5; hexagon|六边形|6
heptagon|七边形|7; octagon|八边形|8; circle|圆形|0; oval|椭圆形|0
""")
GEMS = table("""
ruby/rubies|红宝石|red; sapphire|蓝宝石|blue; emerald|祖母绿|green; diamond|钻石|clear; pearl|珍珠|white
amethyst|紫水晶|purple; topaz/topazes|黄玉|yellow; jade|翡翠|green; amber|琥珀|orange; opal|蛋白石|milky white
""")
SPACE_FACTS = table("""
The Sun is a star.|太阳是一颗恒星。
The Moon has no air, so there is no sound on the Moon.|月球上没有空气，所以那里听不到声音。
Jupiter is the largest planet in the solar system.|木星是太阳系里最大的行星。
Mercury is the planet closest to the Sun.|水星是离太阳最近的行星。
Mars looks red because its soil contains rust.|火星看起来是红色的，因为它的土壤里有铁锈。
Saturn has wide, bright rings made of ice and rock.|土星有宽而明亮的光环，光环由冰块和岩石组成。
A comet is a ball of ice and dust with a long, glowing tail.|彗星是由冰和尘埃组成的球体，拖着一条发光的长尾巴。
The Milky Way is the galaxy we live in.|银河系是我们所在的星系。
Light from the Sun takes about eight minutes to reach the Earth.|太阳光大约八分钟到达地球。
The Earth turns once a day, which gives us day and night.|地球每天自转一圈，所以有了白天和黑夜。
""")
WEATHER_WORDS = table("""
drizzle|毛毛雨; thunderstorm|雷暴; hail/|冰雹; frost/|霜; fog/|雾; mist/|薄雾; rainbow|彩虹; breeze|微风
gale|大风; blizzard|暴风雪; heatwave|热浪; dew/|露水; sleet/|雨夹雪; typhoon|台风; sandstorm|沙尘暴
""")
SCHOOL_THINGS = table("""
pencil case|铅笔盒|个; textbook|课本|本; exercise book|练习本|本; sharpener|卷笔刀|个; protractor|量角器|个
set square|三角尺|把; glue stick|胶棒|支; highlighter|荧光笔|支; school bag|书包|个; lunch box|饭盒|个
paint box|颜料盒|个; sticky note|便利贴|张; folder|文件夹|个; whiteboard|白板|块; piece of chalk/pieces of chalk|粉笔|支
""")

# --- More real facts: chemical elements, Chinese cities, dinosaurs, rivers and mountains ------

# English name, Chinese name, symbol, atomic number
ELEMENTS = table("""
hydrogen|氢|H|1; helium|氦|He|2; lithium|锂|Li|3; beryllium|铍|Be|4; boron|硼|B|5; carbon|碳|C|6
nitrogen|氮|N|7; oxygen|氧|O|8; fluorine|氟|F|9; neon|氖|Ne|10; sodium|钠|Na|11; magnesium|镁|Mg|12
aluminium|铝|Al|13; silicon|硅|Si|14; phosphorus|磷|P|15; sulphur|硫|S|16; chlorine|氯|Cl|17; argon|氩|Ar|18
potassium|钾|K|19; calcium|钙|Ca|20; scandium|钪|Sc|21; titanium|钛|Ti|22; vanadium|钒|V|23; chromium|铬|Cr|24
manganese|锰|Mn|25; iron|铁|Fe|26; cobalt|钴|Co|27; nickel|镍|Ni|28; copper|铜|Cu|29; zinc|锌|Zn|30
gallium|镓|Ga|31; germanium|锗|Ge|32; arsenic|砷|As|33; selenium|硒|Se|34; bromine|溴|Br|35; krypton|氪|Kr|36
rubidium|铷|Rb|37; strontium|锶|Sr|38; yttrium|钇|Y|39; zirconium|锆|Zr|40; niobium|铌|Nb|41
molybdenum|钼|Mo|42; technetium|锝|Tc|43; ruthenium|钌|Ru|44; rhodium|铑|Rh|45; palladium|钯|Pd|46
silver|银|Ag|47; cadmium|镉|Cd|48; indium|铟|In|49; tin|锡|Sn|50; antimony|锑|Sb|51; tellurium|碲|Te|52
iodine|碘|I|53; xenon|氙|Xe|54; caesium|铯|Cs|55; barium|钡|Ba|56; tungsten|钨|W|74; platinum|铂|Pt|78
gold|金|Au|79; mercury|汞|Hg|80; lead|铅|Pb|82; radon|氡|Rn|86; radium|镭|Ra|88; uranium|铀|U|92
""")
# City (English, Chinese) and the index of its province in PROVINCES
CHINA_CITIES = table("""
Suzhou|苏州|Jiangsu; Wuxi|无锡|Jiangsu; Yangzhou|扬州|Jiangsu; Xuzhou|徐州|Jiangsu; Ningbo|宁波|Zhejiang
Wenzhou|温州|Zhejiang; Shaoxing|绍兴|Zhejiang; Jiaxing|嘉兴|Zhejiang; Qingdao|青岛|Shandong; Yantai|烟台|Shandong
Weifang|潍坊|Shandong; Qufu|曲阜|Shandong; Dalian|大连|Liaoning; Anshan|鞍山|Liaoning; Xiamen|厦门|Fujian
Quanzhou|泉州|Fujian; Shenzhen|深圳|Guangdong; Zhuhai|珠海|Guangdong; Foshan|佛山|Guangdong; Shantou|汕头|Guangdong
Luoyang|洛阳|Henan; Kaifeng|开封|Henan; Datong|大同|Shanxi; Pingyao|平遥|Shanxi; Tangshan|唐山|Hebei
Baoding|保定|Hebei; Handan|邯郸|Hebei; Yichang|宜昌|Hubei; Xiangyang|襄阳|Hubei; Yueyang|岳阳|Hunan
Zhuzhou|株洲|Hunan; Hengyang|衡阳|Hunan; Mianyang|绵阳|Sichuan; Leshan|乐山|Sichuan; Yibin|宜宾|Sichuan
Zunyi|遵义|Guizhou; Dali|大理|Yunnan; Lijiang|丽江|Yunnan; Yan'an|延安|Shaanxi; Baoji|宝鸡|Shaanxi
Dunhuang|敦煌|Gansu; Tianshui|天水|Gansu; Jingdezhen|景德镇|Jiangxi; Jiujiang|九江|Jiangxi; Ganzhou|赣州|Jiangxi
Wuhu|芜湖|Anhui; Huangshan|黄山|Anhui; Sanya|三亚|Hainan; Qiqihar|齐齐哈尔|Heilongjiang; Daqing|大庆|Heilongjiang
Mudanjiang|牡丹江|Heilongjiang; Jilin City|吉林市|Jilin; Yanji|延吉|Jilin; Golmud|格尔木|Qinghai
""")
# Dinosaur (English, Chinese), what it ate (plants or meat)
DINOSAURS = table("""
Tyrannosaurus|霸王龙|meat; Triceratops|三角龙|plants; Stegosaurus|剑龙|plants; Velociraptor|伶盗龙|meat
Brachiosaurus|腕龙|plants; Diplodocus|梁龙|plants; Ankylosaurus|甲龙|plants; Spinosaurus|棘龙|meat
Iguanodon|禽龙|plants; Parasaurolophus|副栉龙|plants; Allosaurus|异特龙|meat; Mamenchisaurus|马门溪龙|plants
""")
# River or mountain (English, Chinese), country (English, Chinese)
LANDMARKS = table("""
the Yangtze|长江|China|中国; the Yellow River|黄河|China|中国; the Pearl River|珠江|China|中国
the Nile|尼罗河|Egypt|埃及; the Thames|泰晤士河|England|英格兰; the Danube|多瑙河|Austria|奥地利
the Mekong|湄公河|Vietnam|越南; the Volga|伏尔加河|Russia|俄罗斯; the Ganges|恒河|India|印度
the Rhine|莱茵河|Germany|德国; the Seine|塞纳河|France|法国; the Amazon|亚马孙河|Brazil|巴西
Mount Tai|泰山|China|中国; Mount Huang|黄山|China|中国; Mount Emei|峨眉山|China|中国; Mount Hua|华山|China|中国
Mount Fuji|富士山|Japan|日本; Mount Kilimanjaro|乞力马扎罗山|Tanzania|坦桑尼亚
Mount Everest|珠穆朗玛峰|Nepal and China|尼泊尔和中国
""")
EVEN_MORE_CAPITALS = table("""
the Czech Republic|捷克|Prague|布拉格; Romania|罗马尼亚|Bucharest|布加勒斯特; Bulgaria|保加利亚|Sofia|索非亚
Serbia|塞尔维亚|Belgrade|贝尔格莱德; Croatia|克罗地亚|Zagreb|萨格勒布; Ukraine|乌克兰|Kyiv|基辅
Saudi Arabia|沙特阿拉伯|Riyadh|利雅得; Iraq|伊拉克|Baghdad|巴格达; Afghanistan|阿富汗|Kabul|喀布尔
Kazakhstan|哈萨克斯坦|Astana|阿斯塔纳; Uzbekistan|乌兹别克斯坦|Tashkent|塔什干; Bangladesh|孟加拉国|Dhaka|达卡
Myanmar|缅甸|Naypyidaw|内比都; Cambodia|柬埔寨|Phnom Penh|金边; Laos|老挝|Vientiane|万象
Venezuela|委内瑞拉|Caracas|加拉加斯; Ecuador|厄瓜多尔|Quito|基多; Uruguay|乌拉圭|Montevideo|蒙得维的亚
Paraguay|巴拉圭|Asuncion|亚松森; Jamaica|牙买加|Kingston|金斯敦; Algeria|阿尔及利亚|Algiers|阿尔及尔
Sudan|苏丹|Khartoum|喀土穆; Uganda|乌干达|Kampala|坎帕拉; Zambia|赞比亚|Lusaka|卢萨卡
Zimbabwe|津巴布韦|Harare|哈拉雷; Senegal|塞内加尔|Dakar|达喀尔; Madagascar|马达加斯加|Antananarivo|塔那那利佛
Fiji|斐济|Suva|苏瓦; Latvia|拉脱维亚|Riga|里加; Estonia|爱沙尼亚|Tallinn|塔林; Lithuania|立陶宛|Vilnius|维尔纽斯
""")

# --- Language lessons: opposites, near-synonyms, British and American words -------------------

# English word, its opposite, Chinese word, its opposite
OPPOSITES = table("""
happy|sad|高兴|难过; big|small|大|小; hot|cold|热|冷; fast|slow|快|慢; tall|short|高|矮; young|old|年轻|年老
rich|poor|富有|贫穷; strong|weak|强壮|虚弱; heavy|light|重|轻; hard|soft|坚硬|柔软; easy|difficult|容易|困难
early|late|早|晚; clean|dirty|干净|肮脏; full|empty|满|空; wet|dry|湿|干; loud|quiet|吵闹|安静; bright|dark|明亮|黑暗
thick|thin|厚|薄; wide|narrow|宽|窄; deep|shallow|深|浅; high|low|高|低; near|far|近|远; cheap|expensive|便宜|昂贵
safe|dangerous|安全|危险; open|closed|开着|关着; right|wrong|对|错; true|false|真|假; kind|cruel|善良|残忍
brave|cowardly|勇敢|胆小; polite|rude|礼貌|粗鲁; busy|free|忙碌|空闲; tidy|messy|整齐|凌乱; smooth|rough|光滑|粗糙
sharp|blunt|锋利|迟钝; tight|loose|紧|松; awake|asleep|醒着|睡着; warm|cool|温暖|凉爽; simple|complicated|简单|复杂
same|different|相同|不同; careful|careless|细心|粗心; useful|useless|有用|无用; lucky|unlucky|幸运|倒霉
healthy|ill|健康|生病; generous|mean|慷慨|小气; fresh|stale|新鲜|不新鲜; straight|crooked|直|弯
exciting|boring|精彩|无聊; beautiful|ugly|美丽|丑陋; clever|foolish|聪明|愚蠢; cheerful|gloomy|开朗|忧郁
modern|ancient|现代|古代; famous|unknown|著名|无名; common|rare|常见|罕见; sweet|bitter|甜|苦; thirsty|satisfied|渴|解渴
arrive|leave|到达|离开; buy|sell|买|卖; win|lose|赢|输; push|pull|推|拉; give|take|给|拿; remember|forget|记得|忘记
begin|finish|开始|结束; laugh|cry|笑|哭; accept|refuse|接受|拒绝; lend|borrow|借出|借入; enter|exit|进入|退出
rise|fall|上升|下降; appear|disappear|出现|消失; agree|disagree|同意|反对; float|sink|浮|沉; catch|throw|接|扔
ask|answer|问|答; teach|learn|教|学; come|go|来|去; day|night|白天|黑夜; summer|winter|夏天|冬天
north|south|北|南; east|west|东|西; friend|enemy|朋友|敌人; question|answer|问题|答案; beginning|end|开头|结尾
success|failure|成功|失败; joy|sorrow|欢乐|悲伤; peace|war|和平|战争; top|bottom|顶部|底部; front|back|前面|后面
entrance|exit|入口|出口; sunrise|sunset|日出|日落; inside|outside|里面|外面; sky|earth|天空|大地; gain|loss|得到|失去
""")
# English word and a near-synonym
EN_SYNONYMS = table("""
big|large; small|little; happy|glad; quick|fast; start|begin; finish|end; shut|close; angry|cross; tired|weary
smart|clever; scared|afraid; hard|difficult; easy|simple; rich|wealthy; quiet|silent; huge|enormous; pretty|lovely
shout|yell; talk|chat; gift|present; road|street; look|glance; sick|ill; wrong|incorrect; correct|right
mend|repair; choose|pick; fix|repair; keep|save; help|assist; buy|purchase; kind|gentle; strange|odd; brave|bold
sad|unhappy; glad|pleased; rapid|swift; calm|peaceful; wet|damp; dirty|filthy; cold|chilly; nice|pleasant
""")
# British English, American English
BRITISH_AMERICAN = table("""
lift|elevator; flat|apartment; biscuit|cookie; holiday|vacation; film|movie; pavement|sidewalk; petrol|gasoline
queue|line; post|mail; lorry|truck; trousers|pants; football|soccer; chips|French fries; tap|faucet; torch|flashlight
nappy|diaper; rubber|eraser; mobile phone|cell phone; autumn|fall; rubbish|trash; sweets|candy; timetable|schedule
motorway|highway; underground|subway; car park|parking lot; jumper|sweater; chemist|drugstore; postcode|zip code
""")
# Chinese word and a near-synonym (近义词)
ZH_SYNONYMS = table("""
美丽|漂亮; 高兴|快乐; 立刻|马上; 认真|仔细; 非常|十分; 宽阔|广阔; 寂静|安静; 温暖|暖和; 明亮|光亮; 勇敢|英勇
聪明|机灵; 朋友|伙伴; 帮助|帮忙; 喜欢|喜爱; 发现|发觉; 仿佛|好像; 突然|忽然; 渐渐|慢慢; 著名|有名; 特别|格外
坚固|结实; 宁静|平静; 愉快|快活; 惊讶|吃惊; 希望|盼望; 商量|讨论; 保护|爱护; 鼓励|激励; 奇怪|古怪; 整齐|整洁
珍贵|宝贵; 茂盛|繁茂; 疲倦|疲劳; 担心|忧虑; 温柔|柔和; 诚实|老实; 热闹|喧闹; 清楚|明白; 陆续|接连; 美味|可口
赶紧|赶快; 寻找|搜寻; 迅速|飞快; 周围|四周; 观看|观赏; 感激|感谢; 准备|预备; 附近|周边; 虽然|尽管; 目的|目标
""")
# Adjectives whose comparative and superlative follow the spelling rules ("+" doubles the
# last letter: big -> bigger, biggest); LY_WORDS and NESS_WORDS also take -ly and -ness.
WORD_FAMILY = """kind quick slow bright dark soft loud quiet warm cool deep high rich short tall young neat
sweet fresh clean smooth rough calm brave wise fair proud plain strong weak thick wide fast great light dim
happy easy busy lucky heavy noisy tidy ready steady sleepy angry funny early silly lazy tiny dirty dusty
big+ hot+ sad+ thin+ wet+ fat+ flat+ red+ gentle simple humble nice safe large close late fine pale""".split()
LY_WORDS = """kind quick slow bright soft loud quiet warm cool deep neat sweet clean smooth rough calm brave wise
fair proud plain strong weak fast happy easy busy lucky heavy noisy tidy steady sleepy angry lazy gentle simple
humble safe close late nice sad""".split()
NESS_WORDS = """kind quick bright dark soft loud quiet cool neat sweet fresh clean smooth rough calm fair weak thick
great happy lazy sleepy tidy ready silly dirty gentle pale sad thin wet red""".split()
# Those whose opposite is un- + the word (kind -> unkind).
UN_ADJECTIVES = "kind happy easy lucky tidy ready steady fair wise safe clean".split()


def word_family(spec: str) -> dict[str, str]:
    """'big+' -> {word: big, er: bigger, est: biggest}, plus ly / ness where the word takes them."""
    w = spec.rstrip("+")
    if spec.endswith("+"):
        stem = w + w[-1]
    elif _consonant_y(w):
        stem = w[:-1] + "i"
    elif w.endswith("e"):
        stem = w[:-1]
    else:
        stem = w
    out = {"word": w, "er": stem + "er", "est": stem + "est"}
    if w in LY_WORDS:
        out["ly"] = w[:-1] + "y" if w.endswith("le") else stem + "ly" if _consonant_y(w) else w + "ly"
    if w in NESS_WORDS:
        out["ness"] = (w[:-1] + "iness") if _consonant_y(w) else w + "ness"
    return out
