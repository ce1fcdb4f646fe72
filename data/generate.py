"""Write minisora's shipped data: a bilingual pre-training corpus and question/answer dialogues.

Every sentence comes from the templates in this file and the word lists in lexicon.py, both
written for minisora (MIT, like the rest of the repository); nothing is copied from elsewhere.
The text is built to be *learnable* by a model of about a million parameters: the same kinds
of paragraph recur with different slot values, and every fact is consistent (7 plus 5 is
always 12, the day after Monday is always Tuesday, rain always means an umbrella, a made-up
town always lies on the same river, an answer is a fixed function of the question's intent
and its slots). It is also *varied* enough for a real tokenizer: thousands of distinct words
in each language (every inflection of every English verb and noun, Chinese words, idioms and
names), so that SentencePiece can learn a unigram vocabulary of 12,000 pieces from it.

Output (paths relative to the output directory, ``data/`` by default):
    corpus.txt                  English and Chinese paragraphs, separated by blank lines
    dialogues/train.jsonl       {"question": ..., "answer": ..., "lang": "en" | "zh"} per line
    dialogues/validation.jsonl  no question appears in two splits
    dialogues/test.jsonl
    probes/recall.jsonl         held-out names to recall at a distance (minisora/tools/probes.py)
    SHA256SUMS                  `cd data && sha256sum -c SHA256SUMS` verifies the files

Determinism: one seeded ``random.Random`` per output (the made-up world of towns, people and
products has its own), lists and dicts only (never sets or ``hash()``), integer seeds, so the
bytes are the same on every run and every Python >= 3.10.

Usage, from the repository root:
    python data/generate.py             # (re)write the files in data/
    python data/generate.py --check     # regenerate in memory; exit 1 unless data/SHA256SUMS matches
    python data/generate.py --out DIR   # write into DIR instead
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import lexicon as lx  # the word lists, beside this file

SEED = 20240229
CORPUS_BYTES = 940_000  # stop adding paragraphs once the corpus is this large
EN_SHARE = 0.4  # of paragraphs; Chinese paragraphs carry more distinct pieces per byte
HERE = Path(__file__).resolve().parent
FILES = ("corpus.txt", "dialogues/train.jsonl", "dialogues/validation.jsonl", "dialogues/test.jsonl",
         "probes/recall.jsonl")

# The article's own fine-tuning example, kept verbatim (it must land in train).
ARTICLE_Q = "我的账户为什么不能登录？"
ARTICLE_A = "请确认您的账户信息是否输入正确，或者尝试重置密码。"
LOGIN_A_EN = "Please check that your account details are entered correctly, or try resetting your password."


# =====================================================================================
# Word lists. Parallel tables carry both languages so the two halves teach the same facts.
# =====================================================================================

EN_PEOPLE = [
    ("Anna", "f"), ("Ben", "m"), ("Chloe", "f"), ("David", "m"), ("Emma", "f"), ("Frank", "m"),
    ("Grace", "f"), ("Henry", "m"), ("Ivy", "f"), ("Jack", "m"), ("Kate", "f"), ("Leo", "m"),
    ("Mia", "f"), ("Noah", "m"), ("Olivia", "f"), ("Peter", "m"), ("Rosa", "f"), ("Sam", "m"),
    ("Tina", "f"), ("Victor", "m"), ("Wendy", "f"), ("Omar", "m"), ("Priya", "f"), ("Marco", "m"),
    ("Hana", "f"), ("Lucas", "m"), ("Elena", "f"), ("Tom", "m"), ("Lucy", "f"), ("Yusuf", "m"),
]
ZH_PEOPLE = [
    ("小明", "m"), ("小红", "f"), ("小华", "m"), ("小丽", "f"), ("小刚", "m"), ("小美", "f"),
    ("张伟", "m"), ("王芳", "f"), ("李娜", "f"), ("刘洋", "m"), ("陈静", "f"), ("杨帆", "m"),
    ("赵磊", "m"), ("黄敏", "f"), ("周婷", "f"), ("吴强", "m"), ("孙悦", "f"), ("马立", "m"),
    ("林晓", "f"), ("郭涛", "m"), ("何佳", "f"), ("高峰", "m"), ("罗雪", "f"), ("郑凯", "m"),
]
EN_PRONOUNS = {"f": ("she", "her", "her"), "m": ("he", "him", "his")}  # subject, object, possessive
ZH_PRONOUNS = {"f": "她", "m": "他"}

EN_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ZH_DAYS = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]
EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

# (sky sentence, what a sensible person does) -- always paired, so the pairing is learnable.
WEATHER = [
    # key, English sky, English action, Chinese sky, Chinese action, (low, high) temperature
    ("sunny", "The sun was shining", "wore a hat", "阳光很好", "戴了一顶帽子", (14, 30)),
    ("rainy", "It was raining", "took an umbrella", "外面下着雨", "带了一把伞", (8, 20)),
    ("snowy", "It was snowing", "put on warm boots", "外面下着雪", "穿上了厚靴子", (-9, 1)),
    ("windy", "The wind was strong", "zipped up {his} jacket", "风很大", "拉上了外套的拉链", (5, 18)),
    ("cloudy", "The sky was grey and cloudy", "brought a light sweater", "天阴沉沉的", "带了一件薄毛衣", (10, 22)),
    ("hot", "It was very hot", "carried a bottle of water", "天气很热", "带了一瓶水", (28, 38)),
    ("cold", "It was cold", "wore a warm coat", "天气很冷", "穿了一件厚外套", (-4, 8)),
]
# Weather reports: condition, English line, English advice, Chinese word, Chinese advice.
REPORT_WEATHER = [
    ("sunny", "sunny", "Wear a hat and sunscreen.", "晴", "注意防晒。"),
    ("rainy", "rain", "Take an umbrella.", "小雨", "出门记得带伞。"),
    ("stormy", "heavy rain and thunder", "Stay indoors if you can.", "雷阵雨", "尽量待在室内。"),
    ("snowy", "snow", "Roads may be icy, so walk carefully.", "小雪", "路面可能结冰，走路要小心。"),
    ("windy", "strong wind", "Hold on to your hat.", "大风", "注意关好门窗。"),
    ("cloudy", "cloudy skies", "A light jacket is enough.", "多云", "带一件薄外套就够了。"),
    ("foggy", "fog in the morning", "Drive slowly.", "有雾", "开车要慢一点。"),
]
REPORT_TEMPS = {"sunny": (16, 34), "rainy": (9, 21), "stormy": (18, 30), "snowy": (-10, 1),
                "windy": (4, 17), "cloudy": (10, 24), "foggy": (3, 15)}

EN_CITIES = [  # city, delivery days (a fixed fact of this fictional shop)
    ("London", 2), ("Paris", 3), ("Tokyo", 5), ("Beijing", 4), ("Shanghai", 4), ("Sydney", 7),
    ("Cairo", 6), ("Toronto", 3), ("Berlin", 2), ("Madrid", 3), ("Rome", 3), ("Seoul", 5),
    ("Mumbai", 6), ("Nairobi", 7), ("Lima", 8), ("Oslo", 3), ("Dublin", 2), ("Chicago", 4),
    ("Boston", 4), ("Singapore", 5),
]
ZH_CITIES = [
    ("北京", 1), ("上海", 2), ("广州", 2), ("深圳", 2), ("杭州", 1), ("成都", 3), ("武汉", 2),
    ("西安", 3), ("南京", 1), ("重庆", 3), ("天津", 1), ("苏州", 1), ("长沙", 2), ("青岛", 2),
    ("厦门", 3), ("昆明", 4), ("哈尔滨", 4), ("大连", 3),
]
CAPITALS = [  # English country, capital, Chinese country, capital
    ("France", "Paris", "法国", "巴黎"), ("Japan", "Tokyo", "日本", "东京"),
    ("China", "Beijing", "中国", "北京"), ("the United Kingdom", "London", "英国", "伦敦"),
    ("Italy", "Rome", "意大利", "罗马"), ("Spain", "Madrid", "西班牙", "马德里"),
    ("Germany", "Berlin", "德国", "柏林"), ("Egypt", "Cairo", "埃及", "开罗"),
    ("Canada", "Ottawa", "加拿大", "渥太华"), ("Australia", "Canberra", "澳大利亚", "堪培拉"),
    ("Kenya", "Nairobi", "肯尼亚", "内罗毕"), ("Peru", "Lima", "秘鲁", "利马"),
    ("Norway", "Oslo", "挪威", "奥斯陆"), ("Ireland", "Dublin", "爱尔兰", "都柏林"),
    ("South Korea", "Seoul", "韩国", "首尔"), ("India", "New Delhi", "印度", "新德里"),
    ("Russia", "Moscow", "俄罗斯", "莫斯科"), ("Brazil", "Brasilia", "巴西", "巴西利亚"),
    ("Mexico", "Mexico City", "墨西哥", "墨西哥城"), ("Thailand", "Bangkok", "泰国", "曼谷"),
]
COLORS = [  # English subject, colour, Chinese subject, colour
    ("the sky", "blue", "天空", "蓝色"), ("grass", "green", "草", "绿色"),
    ("a banana", "yellow", "香蕉", "黄色"), ("snow", "white", "雪", "白色"),
    ("coal", "black", "煤", "黑色"), ("a strawberry", "red", "草莓", "红色"),
    ("a lemon", "yellow", "柠檬", "黄色"), ("milk", "white", "牛奶", "白色"),
    ("a carrot", "orange", "胡萝卜", "橙色"), ("a ripe tomato", "red", "熟西红柿", "红色"),
    ("a frog", "green", "青蛙", "绿色"), ("the sea", "blue", "大海", "蓝色"),
]
ANIMALS = [  # English, Chinese, legs, English sound, Chinese sound, English home, Chinese home
    ("cat", "猫", 4, "meow", "喵喵", "in houses", "在家里"),
    ("dog", "狗", 4, "woof", "汪汪", "in houses", "在家里"),
    ("cow", "牛", 4, "moo", "哞哞", "on farms", "在农场"),
    ("duck", "鸭子", 2, "quack", "嘎嘎", "near ponds", "在池塘边"),
    ("sheep", "羊", 4, "baa", "咩咩", "on farms", "在农场"),
    ("chicken", "鸡", 2, "cluck", "咯咯", "on farms", "在农场"),
    ("pig", "猪", 4, "oink", "哼哼", "on farms", "在农场"),
    ("frog", "青蛙", 4, "ribbit", "呱呱", "near ponds", "在池塘边"),
    ("horse", "马", 4, "neigh", "咴咴", "on farms", "在农场"),
    ("spider", "蜘蛛", 8, None, None, "in corners and gardens", "在墙角和花园里"),
    ("bee", "蜜蜂", 6, "buzz", "嗡嗡", "in hives", "在蜂巢里"),
    ("owl", "猫头鹰", 2, "hoot", "咕咕", "in forests", "在森林里"),
]
SCIENCE = [  # fixed facts, English and Chinese
    ("Water boils at 100 degrees Celsius.", "水在一百摄氏度时沸腾。"),
    ("Water freezes at 0 degrees Celsius.", "水在零摄氏度时结冰。"),
    ("The sun rises in the east and sets in the west.", "太阳从东方升起，从西方落下。"),
    ("The Earth goes around the Sun once a year.", "地球每年绕太阳转一圈。"),
    ("The Moon goes around the Earth.", "月亮绕着地球转。"),
    ("Ice is frozen water.", "冰是冻住的水。"),
    ("Plants need sunlight and water to grow.", "植物生长需要阳光和水。"),
    ("A day has 24 hours.", "一天有二十四个小时。"),
    ("An hour has 60 minutes.", "一个小时有六十分钟。"),
    ("A minute has 60 seconds.", "一分钟有六十秒。"),
    ("Fish breathe with gills.", "鱼用鳃呼吸。"),
    ("Bees make honey.", "蜜蜂会酿蜜。"),
    ("Metal feels cold because it carries heat away from your hand quickly.", "金属摸起来凉，是因为它很快把手上的热量带走。"),
    ("Sound travels faster in water than in air.", "声音在水中比在空气中传得快。"),
]

# Shop items: English singular, plural, Chinese noun, Chinese measure word, price range, shop.
ITEMS = [
    ("apple", "apples", "苹果", "个", (1, 3), "market"),
    ("orange", "oranges", "橙子", "个", (1, 3), "market"),
    ("banana", "bananas", "香蕉", "根", (1, 2), "market"),
    ("egg", "eggs", "鸡蛋", "个", (1, 2), "supermarket"),
    ("bottle of milk", "bottles of milk", "牛奶", "瓶", (2, 5), "supermarket"),
    ("loaf of bread", "loaves of bread", "面包", "个", (3, 6), "bakery"),
    ("notebook", "notebooks", "笔记本", "本", (2, 8), "bookshop"),
    ("pen", "pens", "笔", "支", (1, 4), "bookshop"),
    ("book", "books", "书", "本", (8, 25), "bookshop"),
    ("cup", "cups", "杯子", "个", (3, 9), "supermarket"),
    ("umbrella", "umbrellas", "雨伞", "把", (10, 30), "supermarket"),
    ("shirt", "shirts", "衬衫", "件", (15, 40), "clothes shop"),
    ("pair of socks", "pairs of socks", "袜子", "双", (2, 6), "clothes shop"),
    ("ticket", "tickets", "电影票", "张", (6, 15), "cinema"),
]
ZH_SHOPS = {"market": "菜市场", "supermarket": "超市", "bakery": "面包店", "bookshop": "书店",
            "clothes shop": "服装店", "cinema": "电影院"}
_FOOD = (["a picnic", "dinner", "breakfast tomorrow", "a party", "the week"],
         ["准备野餐", "准备做晚饭", "准备明天的早饭", "准备一个聚会", "准备这个星期吃"])
REASONS = {  # shop -> (English "to buy X for ...", Chinese "买X，...")
    "market": _FOOD, "supermarket": _FOOD, "bakery": _FOOD,
    "bookshop": (["school", "a friend", "a trip"], ["准备上学用", "打算送给朋友", "准备旅行时用"]),
    "clothes shop": (["a trip", "a party", "school", "the winter"], ["准备旅行时穿", "准备参加聚会", "准备上学穿", "准备过冬"]),
    "cinema": (["the evening show", "a film with friends"], ["晚上和朋友看电影", "周末和家人看电影"]),
}

EN_TOPICS = ["birds", "the sea", "stars", "trains", "old castles", "cooking", "plants", "the moon",
             "volcanoes", "insects", "music", "maps", "robots", "rivers"]
ZH_TOPICS = ["鸟类", "大海", "星星", "火车", "古代城堡", "做饭", "植物", "月亮", "火山", "昆虫",
             "音乐", "地图", "机器人", "河流"]
EN_SUBJECTS = ["math", "English", "history", "music", "science", "art", "Chinese", "geography"]
ZH_SUBJECTS = ["数学", "英语", "历史", "音乐", "科学", "美术", "语文", "地理"]

EN_PLACES = [
    ("library", ["borrowed a book about {topic}", "read quietly by the window", "returned two books",
                 "asked the librarian for help"]),
    ("market", ["bought fresh vegetables", "tasted some sweet oranges", "talked with a friendly fruit seller",
                "looked for ripe tomatoes"]),
    ("park", ["fed the ducks by the pond", "played football with {his} friends", "sat on a bench and read",
              "walked around the lake"]),
    ("museum", ["looked at old paintings", "learned about {topic}", "saw the skeleton of a dinosaur",
                "bought a postcard"]),
    ("post office", ["sent a letter to {his} grandmother", "bought some stamps", "picked up a parcel",
                     "waited in a short queue"]),
    ("bakery", ["bought a loaf of bread", "chose a small cake", "smelled the fresh bread",
                "ordered a cup of tea"]),
    ("train station", ["bought a ticket", "waited for the train", "met {his} cousin", "read the timetable"]),
    ("beach", ["swam in the sea", "built a sand castle", "collected shells", "watched the waves"]),
    ("school", ["had a {subject} lesson", "talked with {his} teacher", "played in the yard",
                "borrowed a pencil from a classmate"]),
    ("zoo", ["watched the elephants", "saw a sleeping lion", "fed the goats", "took photos of the monkeys"]),
    ("hospital", ["visited {his} sick uncle", "brought flowers for a friend", "saw the doctor",
                  "waited in the hall"]),
    ("cinema", ["watched a funny film", "ate popcorn", "bought two tickets", "watched a film about {topic}"]),
    ("swimming pool", ["swam ten lengths", "practised diving", "played in the water with friends",
                       "had a lesson with a coach"]),
    ("supermarket", ["bought milk and eggs", "pushed a trolley slowly along the shelves",
                     "found some fruit on sale", "waited in line to pay"]),
]
ZH_PLACES = [
    ("图书馆", ["借了一本关于{topic}的书", "在窗边安静地看书", "还了两本书", "请图书管理员帮忙找书"]),
    ("菜市场", ["买了新鲜的蔬菜", "尝了几个甜甜的橘子", "和卖水果的阿姨聊了几句", "挑了几个熟透的西红柿"]),
    ("公园", ["在池塘边喂鸭子", "和朋友们踢足球", "坐在长椅上看书", "绕着湖走了一圈"]),
    ("博物馆", ["看了很多古老的画", "了解了关于{topic}的知识", "看到了恐龙的骨架", "买了一张明信片"]),
    ("邮局", ["给奶奶寄了一封信", "买了几张邮票", "取了一个包裹", "排了一会儿队"]),
    ("面包店", ["买了一个面包", "挑了一块小蛋糕", "闻到了新鲜面包的香味", "点了一杯热茶"]),
    ("火车站", ["买了一张车票", "等了一会儿火车", "接到了{ta}的表哥", "看了列车时刻表"]),
    ("海边", ["在海里游泳", "堆了一座沙堡", "捡了很多贝壳", "看了很久的海浪"]),
    ("学校", ["上了一节{subject}课", "和老师聊了聊天", "在操场上玩", "向同学借了一支铅笔"]),
    ("动物园", ["看了大象", "看到了一只正在睡觉的狮子", "喂了小山羊", "给猴子拍了照片"]),
    ("医院", ["看望了生病的叔叔", "给朋友送了一束花", "看了医生", "在走廊里等了一会儿"]),
    ("电影院", ["看了一部有趣的电影", "吃了爆米花", "买了两张电影票", "看了一部关于{topic}的电影"]),
    ("游泳馆", ["游了十个来回", "练习了跳水", "和朋友在水里玩", "上了一节游泳课"]),
    ("超市", ["买了牛奶和鸡蛋", "推着购物车慢慢逛", "找到了打折的水果", "排队结了账"]),
]
EN_GO = ["went to", "walked to", "took the bus to", "rode a bike to"]
ZH_GO = ["去了", "走路去了", "坐公交车去了", "骑自行车去了"]
EN_JOINT = ["had lunch", "talked for an hour", "walked home", "played a game", "shared a snack"]
ZH_JOINT = ["吃了午饭", "聊了一个小时", "走回了家", "玩了一个游戏", "分享了零食"]
EN_ENDINGS = ["In the evening, {he} went home tired but happy.", "It was a good day.",
              "{name} wrote about it in {his} diary that night.", "On the way home, {he} smiled.",
              "The next day, {he} told {his} friends all about it.", "{name} wants to go back again soon."]
ZH_ENDINGS = ["晚上，{ta}虽然很累，但是很开心。", "这是愉快的一天。", "那天晚上，{name}把这件事写进了日记。",
              "回家的路上，{ta}一直在笑。", "第二天，{ta}把这件事告诉了朋友们。", "{name}想很快再去一次。"]


# Short explanations of the ideas this repository implements. Each concept: English and
# Chinese sentence lists in the same order; a paragraph keeps a random subset, in order.
ML_CONCEPTS = [
    ("tokens", "词元", [
        ("A token is a small piece of text, such as a word, part of a word, or a single character.",
         "词元是一小段文本，可以是一个词、词的一部分，或者一个字符。"),
        ("A tokenizer turns text into a list of token ids, and turns ids back into text.",
         "分词器把文本变成一串词元编号，也能把编号变回文本。"),
        ("Language models read and write tokens, not letters.", "语言模型读写的是词元，而不是字母。"),
        ("The set of all tokens a model knows is called its vocabulary.", "模型认识的全部词元叫作词表。"),
        ("A larger vocabulary makes sequences shorter but the embedding table bigger.",
         "词表越大，序列越短，但嵌入表越大。"),
    ]),
    ("embeddings", "嵌入", [
        ("An embedding is a learned vector for each token id.", "嵌入是为每个词元编号学到的一个向量。"),
        ("The embedding table has one row per token in the vocabulary.", "嵌入表中词表里的每个词元占一行。"),
        ("Tokens used in similar ways often end up with similar embeddings.", "用法相近的词元，嵌入往往也相近。"),
        ("The model looks up the embedding of every input token before anything else happens.",
         "模型做任何计算之前，先查出每个输入词元的嵌入。"),
    ]),
    ("attention", "注意力", [
        ("Attention lets each position look at other positions and take a weighted average of their values.",
         "注意力让每个位置查看其他位置，并对它们的值做加权平均。"),
        ("The weights come from a softmax over the dot products of a query with every key.",
         "权重来自查询向量与每个键向量点积之后的 softmax。"),
        ("Dividing the dot products by the square root of the key size keeps the softmax from becoming too sharp.",
         "把点积除以键维度的平方根，可以防止 softmax 变得过于尖锐。"),
        ("Multi-head attention runs several attentions side by side, each with its own projections.",
         "多头注意力并行运行多个注意力，每个头都有自己的投影矩阵。"),
    ]),
    ("the causal mask", "因果掩码", [
        ("A causal mask stops a position from attending to positions after it.",
         "因果掩码禁止一个位置关注它后面的位置。"),
        ("With a causal mask, the prediction for the next token depends only on the tokens before it.",
         "有了因果掩码，对下一个词元的预测只依赖它前面的词元。"),
        ("Without the mask, a model trained to predict the next token could simply copy it from the input.",
         "如果没有掩码，训练来预测下一个词元的模型可以直接从输入里抄答案。"),
    ]),
    ("bidirectional encoders", "双向编码器", [
        ("A bidirectional encoder lets every position see the whole input, both left and right.",
         "双向编码器让每个位置都能看到整个输入，左边和右边都能看到。"),
        ("Encoders are good at understanding a prompt, because each word is read in its full context.",
         "编码器擅长理解提示，因为每个词都是在完整的上下文中读到的。"),
        ("An encoder alone cannot generate text from left to right, because it has already seen the future.",
         "只有编码器无法从左到右生成文本，因为它已经看到了后面的内容。"),
        ("In an encoder-decoder model, the encoder reads the prompt and the decoder writes the answer.",
         "在编码器-解码器模型中，编码器读提示，解码器写答案。"),
    ]),
    ("masked language modeling", "掩码语言模型", [
        ("Masked language modeling hides some tokens and asks the model to guess them.",
         "掩码语言模型遮住一部分词元，让模型去猜它们。"),
        ("BERT replaces most chosen tokens with a mask token, some with a random token, and leaves some unchanged.",
         "BERT 把大多数被选中的词元换成掩码词元，一部分换成随机词元，还有一部分保持不变。"),
        ("Only the hidden positions count in the masked language modeling loss.",
         "掩码语言模型的损失只计算被遮住的位置。"),
    ]),
    ("next-token prediction", "下一个词元预测", [
        ("A language model is trained to predict the next token from the tokens before it.",
         "语言模型的训练目标是根据前面的词元预测下一个词元。"),
        ("The target sequence is the input sequence shifted left by one position.",
         "目标序列就是把输入序列向左移动一个位置。"),
        ("At generation time the model adds one token at a time and feeds it back as input.",
         "生成时，模型每次添加一个词元，再把它作为输入送回去。"),
        ("Taking the argmax at every position of one forward pass is not generation.",
         "只做一次前向计算、在每个位置取最大值，并不是生成。"),
    ]),
    ("cross-entropy", "交叉熵", [
        ("Cross-entropy loss is minus the log of the probability the model gave to the correct token.",
         "交叉熵损失是模型给正确词元的概率取对数后再取负。"),
        ("If the model gives the right token probability one, the loss is zero.",
         "如果模型给正确词元的概率是一，损失就是零。"),
        ("A model that guesses uniformly among V tokens has a loss of log V.",
         "在 V 个词元中均匀猜测的模型，损失是 log V。"),
        ("The loss of a sequence is the average over its positions.", "一个序列的损失是各个位置损失的平均值。"),
    ]),
    ("gradient descent", "梯度下降", [
        ("Gradient descent moves every parameter a small step against its gradient.",
         "梯度下降让每个参数沿着梯度的反方向走一小步。"),
        ("The size of the step is set by the learning rate.", "步子的大小由学习率决定。"),
        ("Stochastic gradient descent estimates the gradient from a small batch instead of the whole data set.",
         "随机梯度下降用一个小批量来估计梯度，而不是用整个数据集。"),
        ("Adam is a variant of gradient descent that keeps running averages of the gradients and their squares.",
         "Adam 是梯度下降的一种变体，它记录梯度和梯度平方的滑动平均。"),
    ]),
    ("the learning rate", "学习率", [
        ("If the learning rate is too large, the loss jumps around or grows.", "学习率太大，损失会来回跳动甚至变大。"),
        ("If the learning rate is too small, training is slow.", "学习率太小，训练会很慢。"),
        ("Many training runs warm up the learning rate at the start and lower it near the end.",
         "很多训练会在开始时预热学习率，在快结束时降低学习率。"),
    ]),
    ("overfitting", "过拟合", [
        ("A model overfits when it does well on training data but badly on new data.",
         "模型在训练数据上表现好、在新数据上表现差，就是过拟合。"),
        ("We watch the loss on a validation set to notice overfitting.", "我们观察验证集上的损失来发现过拟合。"),
        ("More data, dropout and smaller models all help against overfitting.",
         "更多的数据、丢弃法和更小的模型都能缓解过拟合。"),
    ]),
    ("the LSTM", "长短期记忆网络", [
        ("An LSTM is a recurrent network that reads a sequence one step at a time.",
         "长短期记忆网络是一种循环网络，它一步一步地读入序列。"),
        ("It keeps a cell state and uses input, forget and output gates to decide what to store, erase and show.",
         "它保存一个细胞状态，用输入门、遗忘门和输出门决定存什么、忘什么、输出什么。"),
        ("The forget gate lets the LSTM keep information over many steps.", "遗忘门让长短期记忆网络能在很多步之间保留信息。"),
        ("Because each step needs the previous one, an LSTM is unrolled with a scan over time.",
         "因为每一步都依赖上一步，所以长短期记忆网络要沿时间方向逐步展开。"),
    ]),
    ("softmax", "softmax 函数", [
        ("Softmax turns a list of scores into probabilities that are positive and sum to one.",
         "softmax 把一组分数变成概率，每个概率都是正数，总和为一。"),
        ("Subtracting the largest score before taking exponentials does not change the result and avoids overflow.",
         "先减去最大的分数再取指数，结果不变，还能避免溢出。"),
    ]),
    ("sampling", "采样", [
        ("Greedy decoding always picks the most likely next token.", "贪心解码总是选择最可能的下一个词元。"),
        ("Sampling with a temperature divides the scores by the temperature before the softmax.",
         "带温度的采样在 softmax 之前把分数除以温度。"),
        ("A low temperature makes the output more predictable, and a high temperature makes it more varied.",
         "温度低，输出更稳定；温度高，输出更多样。"),
        ("Top-k sampling keeps only the k most likely tokens before sampling.", "top-k 采样只保留最可能的 k 个词元再采样。"),
    ]),
    ("batches and padding", "批次与填充", [
        ("A batch is a group of examples processed together.", "一个批次是一起处理的一组样本。"),
        ("Shorter sequences in a batch are filled with padding tokens, and a mask tells the model to ignore them.",
         "批次里较短的序列用填充词元补齐，掩码告诉模型忽略它们。"),
    ]),
    ("dropout", "丢弃法", [
        ("Dropout sets random activations to zero during training.", "丢弃法在训练时随机把一些激活值设为零。"),
        ("The remaining activations are scaled up so that their expected value stays the same.",
         "剩下的激活值会被放大，使期望值保持不变。"),
        ("At evaluation time dropout is turned off.", "评估时关闭丢弃法。"),
    ]),
    ("layer normalization", "层归一化", [
        ("Layer normalization rescales each vector to zero mean and unit variance, "
         "then applies a learned scale and shift.",
         "层归一化把每个向量调整为均值为零、方差为一，再乘以学到的缩放并加上偏移。"),
        ("It keeps activations in a stable range as the network gets deeper.", "网络变深时，它让激活值保持在稳定的范围内。"),
    ]),
    ("the key-value cache", "键值缓存", [
        ("A key-value cache stores the keys and values of the tokens already processed.",
         "键值缓存保存已经处理过的词元的键和值。"),
        ("With a cache, each new token attends to the stored keys instead of recomputing them.",
         "有了缓存，每个新词元直接关注保存好的键，而不用重新计算。"),
        ("The cache makes generation much faster for long outputs.", "生成较长的输出时，缓存能让速度快很多。"),
    ]),
]


# =====================================================================================
# Small helpers
# =====================================================================================

ZH_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """0..999 in Chinese numerals: 12 -> 十二, 31 -> 三十一, 105 -> 一百零五."""
    if n < 0:
        return "负" + zh_number(-n)
    if n < 10:
        return ZH_DIGITS[n]
    if n < 20:
        return "十" + (ZH_DIGITS[n - 10] if n % 10 else "")
    if n < 100:
        return ZH_DIGITS[n // 10] + "十" + (ZH_DIGITS[n % 10] if n % 10 else "")
    h, r = divmod(n, 100)
    if r == 0:
        return ZH_DIGITS[h] + "百"
    if r < 10:
        return ZH_DIGITS[h] + "百零" + ZH_DIGITS[r]
    return ZH_DIGITS[h] + "百" + ZH_DIGITS[r // 10] + "十" + (ZH_DIGITS[r % 10] if r % 10 else "")


def zh_count(n: int) -> str:
    """A number before a measure word: 两 instead of 二 (两个苹果)."""
    return "两" if n == 2 else zh_number(n)


def zh_month(i: int) -> str:
    return zh_number(i + 1) + "月"


def zh_temp(t: int) -> str:
    return f"零下{-t}度" if t < 0 else f"{t}度"


def zh_clock(minutes: int) -> str:
    """Minutes after midnight -> 七点, 七点半, 七点十五分."""
    h, m = divmod(minutes, 60)
    if m == 0:
        return f"{zh_count(h)}点"
    if m == 30:
        return f"{zh_count(h)}点半"
    return f"{zh_count(h)}点{zh_number(m)}分"


def en_clock(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    return f"{h}:{m:02d}"


def en_a(noun: str) -> str:
    return ("an " if noun[0].lower() in "aeiou" else "a ") + noun


def cap(s: str) -> str:
    return s[0].upper() + s[1:]


def en_person(rng: random.Random):
    name, g = rng.choice(EN_PEOPLE)
    return (name, *EN_PRONOUNS[g])


def zh_person(rng: random.Random):
    name, g = rng.choice(ZH_PEOPLE)
    return name, ZH_PRONOUNS[g]


def change_bill(total: int) -> int:
    """The smallest note that pays `total`."""
    return next(b for b in (5, 10, 20, 50, 100, 200) if b >= total)


# =====================================================================================
# Dialogue intents. An intent: question templates (paraphrases), one answer template,
# and a slot sampler. The answer is a function of (intent, slots) only.
# =====================================================================================

def _none(rng):
    return {}


def _order(rng):
    return {"n": rng.randint(10000, 99999)}


def _en_city(rng):
    city, days = rng.choice(EN_CITIES)
    return {"city": city, "days": days}


def _zh_city(rng):
    city, days = rng.choice(ZH_CITIES)
    return {"city": city, "days": zh_count(days)}


EN_RETURN_ITEMS = ["headphones", "phone case", "backpack", "desk lamp", "keyboard", "jacket", "coffee maker",
                   "watch", "water bottle", "sweater", "charger", "blender", "mouse", "pair of shoes"]
ZH_RETURN_ITEMS = ["耳机", "手机壳", "背包", "台灯", "键盘", "夹克", "咖啡机", "手表", "水杯", "毛衣",
                   "充电器", "榨汁机", "鼠标", "运动鞋"]


def _en_item(rng):
    return {"item": rng.choice(EN_RETURN_ITEMS)}


def _zh_item(rng):
    return {"item": rng.choice(ZH_RETURN_ITEMS)}


def _plus(rng):
    a, b = rng.randint(0, 20), rng.randint(0, 20)
    return {"a": a, "b": b, "c": a + b}


def _minus(rng):
    a = rng.randint(0, 20)
    b = rng.randint(0, a)
    return {"a": a, "b": b, "c": a - b}


def _times(rng):
    a, b = rng.randint(1, 12), rng.randint(1, 12)
    return {"a": a, "b": b, "c": a * b}


def _capital(rng):
    en_c, en_cap, zh_c, zh_cap = rng.choice(CAPITALS)
    return {"country": en_c, "capital": en_cap, "zh_country": zh_c, "zh_capital": zh_cap}


def _color(rng):
    en_t, en_col, zh_t, zh_col = rng.choice(COLORS)
    return {"thing": en_t, "Thing": cap(en_t), "color": en_col, "zh_thing": zh_t, "zh_color": zh_col}


def _day(rng):
    i = rng.randrange(7)
    return {"day": EN_DAYS[i], "next": EN_DAYS[(i + 1) % 7], "prev": EN_DAYS[i - 1],
            "zh_day": ZH_DAYS[i], "zh_next": ZH_DAYS[(i + 1) % 7], "zh_prev": ZH_DAYS[i - 1]}


def _month(rng):
    i = rng.choice([0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])  # February has its own intent
    return {"month": EN_MONTHS[i], "n": MONTH_DAYS[i], "zh_month": zh_month(i), "zh_n": zh_number(MONTH_DAYS[i])}


def _legs(rng):
    a = rng.choice(ANIMALS)
    return {"animal": a[0], "legs": a[2], "zh_animal": a[1], "zh_legs": zh_count(a[2])}


def _sound(rng):
    a = rng.choice([a for a in ANIMALS if a[3] is not None])
    return {"animal": a[0], "sound": a[3], "zh_animal": a[1], "zh_sound": a[4]}


# (name, lang, quota, question templates, answer template, slot sampler)
INTENTS = [
    # --- customer service ---
    ("password", "en", 99, ["How do I reset my password?", "I forgot my password.", "How can I change my password?",
                            "I don't remember my password, what should I do?", "Where can I reset my password?"],
     'Click "Forgot password" on the login page and follow the link we email you to set a new password.', _none),
    ("password", "zh", 99, ["我忘记密码了怎么办？", "怎么重置密码？", "如何修改我的密码？", "密码想不起来了，怎么办？",
                            "在哪里可以重置密码？"],
     "请在登录页面点击“忘记密码”，然后按照邮件中的链接设置新密码。", _none),
    ("delete_account", "en", 99, ["How do I delete my account?", "I want to close my account.",
                                  "Can you remove my account?", "How can I delete my account permanently?"],
     "Go to Account Settings and choose Close Account; your data is deleted after 14 days.", _none),
    ("delete_account", "zh", 99, ["怎么注销账户？", "我想注销我的账号。", "可以帮我删除账户吗？", "如何永久注销账户？"],
     "请进入“账户设置”，选择“注销账户”；您的数据会在十四天后删除。", _none),
    ("change_email", "en", 99, ["How do I change my email address?", "I want to use a different email for my account.",
                                "Can I update the email on my account?", "How can I change the email I log in with?"],
     "Go to Account Settings, choose Email, enter the new address and confirm it with the code we send.", _none),
    ("change_email", "zh", 99, ["怎么修改绑定的邮箱？", "我想给账户换一个邮箱。", "可以更新账户的邮箱地址吗？",
                                "如何更换登录用的邮箱？"],
     "请进入“账户设置”，选择“邮箱”，输入新地址，并用我们发送的验证码确认。", _none),
    ("charged_twice", "en", 99, ["Why was I charged twice?", "I see two charges for one order.",
                                 "My card was billed two times for the same order.",
                                 "Why did you take my money twice?"],
     "Sorry about that. A second charge is usually a temporary hold that disappears within 5 business days; "
     "if it does not, we will refund it.", _none),
    ("charged_twice", "zh", 99, ["为什么我被扣了两次钱？", "同一个订单扣了两次款。", "我的卡被重复扣费了。", "为什么重复扣款？"],
     "很抱歉给您带来不便。重复扣款通常是临时冻结，会在五个工作日内自动退回；如果没有退回，我们会为您退款。", _none),
    ("invoice", "en", 99, ["How can I get an invoice?", "Where can I download my invoice?",
                           "I need a receipt for my order.",
                           "Can you send me an invoice?"],
     'You can download your invoice from My Orders by clicking "Invoice" next to the order.', _none),
    ("invoice", "zh", 99, ["怎么开发票？", "在哪里下载发票？", "我需要订单的收据。", "可以给我发一张发票吗？"],
     "您可以在“我的订单”中点击订单旁边的“发票”下载发票。", _none),
    ("payment_method", "en", 99, ["How do I change my payment method?", "Can I pay with a different card?",
                                  "How can I update my credit card?", "I want to add a new card to my account."],
     "Go to Account Settings, open Payment Methods, and add or remove a card there.", _none),
    ("payment_method", "zh", 99, ["怎么更换支付方式？", "可以换一张卡付款吗？", "怎么更新我的信用卡信息？", "我想给账户添加一张新卡。"],
     "请进入“账户设置”，打开“支付方式”，在那里添加或删除银行卡。", _none),
    ("order_status", "en", 45, ["Where is my order {n}?", "Can you check the status of order {n}?",
                                "Has my order {n} shipped yet?", "What is happening with order number {n}?",
                                "I want to track order {n}."],
     "Order {n} has shipped. You can follow it with the tracking link in your confirmation email.", _order),
    ("order_status", "zh", 45, ["我的订单{n}到哪里了？", "请帮我查一下订单{n}的状态。", "订单{n}发货了吗？",
                                "订单号{n}现在是什么情况？", "我想查询订单{n}的物流。"],
     "订单{n}已经发货，您可以通过确认邮件中的物流链接查看进度。", _order),
    ("cancel", "en", 22, ["How do I cancel order {n}?", "Please cancel my order {n}.", "Can I still cancel order {n}?"],
     "Order {n} can be cancelled under My Orders as long as it has not shipped yet.", _order),
    ("cancel", "zh", 22, ["怎么取消订单{n}？", "请帮我取消订单{n}。", "订单{n}还能取消吗？"],
     "订单{n}在发货前都可以在“我的订单”中取消。", _order),
    ("address", "en", 22, ["Can I change the delivery address for order {n}?",
                           "I need to update the shipping address on order {n}.",
                           "How do I change where order {n} is delivered?"],
     "You can change the delivery address for order {n} under My Orders until it ships.", _order),
    ("address", "zh", 22, ["订单{n}可以修改收货地址吗？", "我想更改订单{n}的收货地址。", "怎么修改订单{n}的配送地址？"],
     "订单{n}在发货前可以在“我的订单”中修改收货地址。", _order),
    ("shipping", "en", 40, ["How long does shipping to {city} take?", "How many days does delivery to {city} take?",
                            "When will my package arrive if I live in {city}?", "How fast can you deliver to {city}?"],
     "Delivery to {city} usually takes {days} days.", _en_city),
    ("shipping", "zh", 40, ["寄到{city}要多久？", "发货到{city}需要几天？", "我在{city}，多久能收到包裹？",
                            "配送到{city}一般要几天？"],
     "寄到{city}一般需要{days}天。", _zh_city),
    ("refund", "en", 40, ["Can I return the {item}?", "I want a refund for the {item}.",
                          "How do I get my money back for the {item}?",
                          "The {item} I bought is broken. Can I get a refund?"],
     "Yes. You can return the {item} within 30 days of delivery for a full refund.", _en_item),
    ("refund", "zh", 40, ["{item}可以退货吗？", "我想退{item}，可以退款吗？", "买的{item}坏了，能退款吗？", "{item}怎么申请退款？"],
     "可以。{item}在收货后三十天内可以退货，并获得全额退款。", _zh_item),
    # --- arithmetic ---
    ("plus", "en", 75, ["What is {a} plus {b}?", "What's {a} plus {b}?", "How much is {a} plus {b}?",
                        "Can you add {a} and {b}?"], "{a} plus {b} is {c}.", _plus),
    ("plus", "zh", 75, ["{a}加{b}等于多少？", "{a}加{b}是多少？", "请问{a}加上{b}等于几？", "算一下{a}加{b}。"],
     "{a}加{b}等于{c}。", _plus),
    ("minus", "en", 50, ["What is {a} minus {b}?", "How much is {a} minus {b}?",
                         "What do you get if you take {b} from {a}?"], "{a} minus {b} is {c}.", _minus),
    ("minus", "zh", 50, ["{a}减{b}等于多少？", "{a}减去{b}是多少？", "{a}减{b}等于几？"], "{a}减{b}等于{c}。", _minus),
    ("times", "en", 50, ["What is {a} times {b}?", "How much is {a} times {b}?", "What is {a} multiplied by {b}?"],
     "{a} times {b} is {c}.", _times),
    ("times", "zh", 50, ["{a}乘{b}等于多少？", "{a}乘以{b}是多少？", "{a}乘{b}等于几？"], "{a}乘{b}等于{c}。", _times),
    # --- simple facts ---
    ("capital", "en", 25, ["What is the capital of {country}?", "Which city is the capital of {country}?"],
     "The capital of {country} is {capital}.", _capital),
    ("capital", "zh", 25, ["{zh_country}的首都是哪里？", "{zh_country}的首都是哪个城市？"],
     "{zh_country}的首都是{zh_capital}。", _capital),
    ("color", "en", 15, ["What color is {thing}?", "What is the color of {thing}?"], "{Thing} is {color}.", _color),
    ("color", "zh", 15, ["{zh_thing}是什么颜色的？", "{zh_thing}是什么颜色？"], "{zh_thing}是{zh_color}的。", _color),
    ("day_after", "en", 10, ["What day comes after {day}?", "Which day follows {day}?"],
     "The day after {day} is {next}.", _day),
    ("day_after", "zh", 10, ["{zh_day}的后一天是星期几？", "{zh_day}之后是星期几？"], "{zh_day}的后一天是{zh_next}。", _day),
    ("day_before", "en", 7, ["What day comes before {day}?"], "The day before {day} is {prev}.", _day),
    ("day_before", "zh", 7, ["{zh_day}的前一天是星期几？"], "{zh_day}的前一天是{zh_prev}。", _day),
    ("month_days", "en", 15, ["How many days are there in {month}?", "How many days does {month} have?"],
     "{month} has {n} days.", _month),
    ("month_days", "zh", 15, ["{zh_month}有多少天？", "{zh_month}有几天？"], "{zh_month}有{zh_n}天。", _month),
    ("february", "en", 99, ["How many days are there in February?", "How many days does February have?"],
     "February has 28 days, or 29 in a leap year.", _none),
    ("february", "zh", 99, ["二月有多少天？", "二月有几天？"], "二月有二十八天，闰年有二十九天。", _none),
    ("legs", "en", 10, ["How many legs does a {animal} have?"], "A {animal} has {legs} legs.", _legs),
    ("legs", "zh", 10, ["{zh_animal}有几条腿？"], "{zh_animal}有{zh_legs}条腿。", _legs),
    ("sound", "en", 10, ["What sound does a {animal} make?"], "A {animal} says {sound}.", _sound),
    ("sound", "zh", 10, ["{zh_animal}怎么叫？"], "{zh_animal}的叫声是“{zh_sound}”。", _sound),
    # --- greetings ---
    ("hello", "en", 99, ["Hello!", "Hi!", "Hello there.", "Hi, is anyone there?"],
     "Hello! How can I help you today?", _none),
    ("hello", "zh", 99, ["你好！", "您好！", "你好，在吗？", "嗨，有人吗？"], "您好！请问有什么可以帮您？", _none),
    ("good_morning", "en", 99, ["Good morning!", "Good morning."], "Good morning! How can I help you today?", _none),
    ("good_morning", "zh", 99, ["早上好！", "早上好。"], "早上好！请问有什么可以帮您？", _none),
    ("thanks", "en", 99, ["Thank you!", "Thanks a lot.", "Thank you for your help.", "Thanks!"],
     "You're welcome! Is there anything else I can help with?", _none),
    ("thanks", "zh", 99, ["谢谢！", "非常感谢。", "谢谢你的帮助。", "多谢！"], "不客气！还有其他可以帮您的吗？", _none),
    ("bye", "en", 99, ["Goodbye!", "Bye.", "See you later."], "Goodbye! Have a nice day.", _none),
    ("bye", "zh", 99, ["再见！", "拜拜。", "回头见。"], "再见，祝您生活愉快！", _none),
    ("how_are_you", "en", 99, ["How are you?", "How are you today?"],
     "I'm fine, thank you. How can I help you today?", _none),
    ("how_are_you", "zh", 99, ["你好吗？", "你今天好吗？"], "我很好，谢谢！请问有什么可以帮您？", _none),
]

# The article's question and its paraphrases, with their split fixed by hand so that
# validation and test ask the same thing in words the model never saw in training.
LOGIN = [
    ("zh", ARTICLE_A, [
        ("train", ARTICLE_Q), ("train", "我登录不了我的账户，怎么办？"), ("train", "为什么我的账号登不上去？"),
        ("train", "登录账户时总是失败，怎么办？"), ("train", "账号登录不上怎么办？"),
        ("validation", "我的账号无法登录，该怎么处理？"),
        ("test", "账户无法登录怎么办？"), ("test", "我没法登录账户了，怎么回事？"),
    ]),
    ("en", LOGIN_A_EN, [
        ("train", "Why can't I log in to my account?"), ("train", "My account won't let me log in. Why?"),
        ("train", "Why does my login keep failing?"), ("train", "How do I fix a login problem with my account?"),
        ("train", "I can't sign in. What should I do?"),
        ("validation", "I am unable to sign in to my account."),
        ("test", "I can't log in to my account, what should I do?"),
        ("test", "Login to my account does not work, what can I do?"),
    ]),
]


def intent_pair(intent, rng: random.Random) -> tuple[str, str]:
    _, _, _, questions, answer, slots = intent
    s = slots(rng)
    return rng.choice(questions).format(**s), answer.format(**s)


def split_sizes(n: int) -> tuple[int, int]:
    """(validation, test) sizes for an intent with n distinct questions: about 10% each;
    small paraphrase sets hold one question out for test and keep the rest for training."""
    if n >= 10:
        return round(n / 10), round(n / 10)
    if n >= 6:
        return 1, 1
    if n >= 4:
        return 0, 1
    return 0, 0


def make_dialogues(rng: random.Random) -> dict[str, list[dict]]:
    splits = {"train": [], "validation": [], "test": []}
    seen: dict[str, str] = {}  # question -> answer: every question is unique across all splits

    def add(split, q, a, lang):
        assert q not in seen, f"duplicate question {q!r}"
        seen[q] = a
        splits[split].append({"question": q, "answer": a, "lang": lang})

    for lang, answer, rows in LOGIN:
        for split, q in rows:
            add(split, q, answer, lang)

    for intent in INTENTS:
        name, lang, quota = intent[:3]
        pairs: list[tuple[str, str]] = []
        for _ in range(quota * 60):  # draw until `quota` distinct questions or the templates run out
            q, a = intent_pair(intent, rng)
            if q not in seen and all(q != p[0] for p in pairs):
                pairs.append((q, a))
                if len(pairs) == quota:
                    break
        n_val, n_test = split_sizes(len(pairs))
        for i, (q, a) in enumerate(pairs):
            split = "test" if i < n_test else "validation" if i < n_test + n_val else "train"
            add(split, q, a, lang)

    for rows in splits.values():
        rng.shuffle(rows)
    return splits


# =====================================================================================
# Corpus paragraphs. Each function returns one paragraph (lines joined by "\n").
# =====================================================================================

def en_story(rng):
    name, he, him, his = en_person(rng)
    place, acts = rng.choice(EN_PLACES)
    w = rng.choice(WEATHER)
    when = rng.choice([f"On {rng.choice(EN_DAYS)} {rng.choice(['morning', 'afternoon', 'evening'])}",
                       f"Last {rng.choice(EN_DAYS)}", "One day"])
    fill = {"topic": rng.choice(EN_TOPICS), "subject": rng.choice(EN_SUBJECTS), "his": his}
    a1, a2 = (a.format(**fill) for a in rng.sample(acts, 2))
    s = [f"{when}, {name} {rng.choice(EN_GO)} the {place}.",
         f"{w[1]}, so {he} {w[2].format(his=his)}.",
         f"At the {place}, {he} {a1}."]
    if rng.random() < 0.4:
        friend = rng.choice([p for p in EN_PEOPLE if p[0] != name])[0]
        s.append(f"There {he} met {friend}, and they {rng.choice(EN_JOINT)} together.")
    else:
        s.append(f"Then {he} {a2}.")
    s.append(rng.choice(EN_ENDINGS).format(name=name, he=he, his=his))
    return " ".join(s)


def zh_story(rng):
    name, ta = zh_person(rng)
    place, acts = rng.choice(ZH_PLACES)
    w = rng.choice(WEATHER)
    when = rng.choice([f"{rng.choice(ZH_DAYS)}{rng.choice(['早上', '下午', '晚上'])}", f"上个{rng.choice(ZH_DAYS)}", "有一天"])
    fill = {"topic": rng.choice(ZH_TOPICS), "subject": rng.choice(ZH_SUBJECTS), "ta": ta}
    a1, a2 = (a.format(**fill) for a in rng.sample(acts, 2))
    s = [f"{when}，{name}{rng.choice(ZH_GO)}{place}。", f"{w[3]}，所以{ta}{w[4]}。", f"在{place}，{ta}{a1}。"]
    if rng.random() < 0.4:
        friend = rng.choice([p for p in ZH_PEOPLE if p[0] != name])[0]
        s.append(f"在那里，{ta}遇到了{friend}，他们一起{rng.choice(ZH_JOINT)}。")
    else:
        s.append(f"然后，{ta}{a2}。")
    s.append(rng.choice(ZH_ENDINGS).format(name=name, ta=ta))
    return "".join(s)


def _shopping(rng):
    """Items, counts and prices for one trip; totals and change are exact."""
    item = rng.choice(ITEMS)
    p = rng.randint(*item[4])
    n = rng.randint(2, 6) if item[4][1] <= 10 else rng.randint(2, 3)  # keeps totals under 200
    extra = None
    if rng.random() < 0.4:
        other = rng.choice([i for i in ITEMS if i[5] == item[5] and i is not item] or [item])
        if other is not item:
            extra = (other, rng.randint(1, 4), rng.randint(*other[4]))
    return item, n, p, extra


def en_shopping(rng):
    name, he, him, his = en_person(rng)
    (sing, plur, *_rest, shop), n, p, extra = _shopping(rng)
    total = n * p
    s = [f"{name} went to the {shop} to buy {plur} for {rng.choice(REASONS[shop][0])}.",
         f"One {sing} cost {p} dollar{'s' if p > 1 else ''}, and {he} bought {n}, so {he} paid {total} dollars."]
    if extra:
        (sing2, plur2, *_r), n2, p2 = extra
        t2 = n2 * p2
        s.append(f"{cap(he)} also bought {n2} {plur2 if n2 > 1 else sing2} at {p2} dollar{'s' if p2 > 1 else ''} each, "
                 f"which cost {t2} dollar{'s' if t2 > 1 else ''}.")
        total += t2
        s.append(f"Altogether {he} spent {total} dollars.")
    bill = change_bill(total)
    if bill == total:
        s.append(f"{cap(he)} paid with a {bill}-dollar note and needed no change.")
    else:
        back = bill - total
        s.append(f"{cap(he)} paid with a {bill}-dollar note and got {back} dollar{'s' if back > 1 else ''} back.")
    return " ".join(s)


def zh_shopping(rng):
    name, ta = zh_person(rng)
    (_s, _p, noun, mw, _r, shop), n, p, extra = _shopping(rng)
    total = n * p
    s = [f"{name}去{ZH_SHOPS[shop]}买{noun}，{rng.choice(REASONS[shop][1])}。",
         f"一{mw}{noun}{p}元，{ta}买了{zh_count(n)}{mw}，一共{total}元。"]
    if extra:
        (_s2, _p2, noun2, mw2, *_r2), n2, p2 = extra
        t2 = n2 * p2
        s.append(f"{ta}又买了{zh_count(n2)}{mw2}{noun2}，每{mw2}{p2}元，花了{t2}元。")
        total += t2
        s.append(f"{ta}总共花了{total}元。")
    bill = change_bill(total)
    if bill == total:
        s.append(f"{ta}给了收银员{bill}元，正好不用找零。")
    else:
        s.append(f"{ta}给了收银员{bill}元，找回{bill - total}元。")
    return "".join(s)


def distinct(rng, lo, hi, draw) -> list[str]:
    """Between lo and hi sentences from draw(), each at most once."""
    out = []
    for _ in range(rng.randint(lo, hi)):
        x = draw()
        if x not in out:
            out.append(x)
    return out


def _arith(rng):
    op = rng.choice(["plus", "minus", "times"])
    return op, {"plus": _plus, "minus": _minus, "times": _times}[op](rng)


def en_arithmetic(rng):
    def fact():
        op, v = _arith(rng)
        if op != "times" and v["a"] * v["b"] > 0 and rng.random() < 0.2:  # a word problem (nobody has 0 apples)
            name, he, *_ = en_person(rng)
            obj = rng.choice(ITEMS[:4])[1]
            if op == "plus":
                return f"{name} has {v['a']} {obj} and gets {v['b']} more, so now {he} has {v['c']}."
            return f"{name} has {v['a']} {obj} and gives away {v['b']}, so {he} has {v['c']} left."
        return f"{v['a']} {op} {v['b']} is {v['c']}."
    return " ".join(distinct(rng, 4, 8, fact))


def zh_arithmetic(rng):
    words = rng.random() < 0.3  # some paragraphs write numbers in Chinese numerals

    def fact():
        op, v = _arith(rng)
        if op != "times" and v["a"] * v["b"] > 0 and rng.random() < 0.2:  # a word problem (nobody has 0 apples)
            name, ta = zh_person(rng)
            _s, _p, noun, mw, *_r = rng.choice(ITEMS[:4])
            a, b, c = (zh_count(v[k]) + mw for k in "abc")
            if op == "plus":
                return f"{name}有{a}{noun}，又买了{b}，现在一共有{c}。"
            return f"{name}有{a}{noun}，送给朋友{b}，还剩{c}。"
        a, b, c = (zh_number(v[k]) if words else str(v[k]) for k in "abc")
        return f"{a}{ {'plus': '加', 'minus': '减', 'times': '乘'}[op] }{b}等于{c}。"
    return "".join(distinct(rng, 4, 8, fact))


def en_calendar(rng):
    def fact():
        i, m, k = rng.randrange(7), rng.randrange(12), rng.randint(2, 6)
        return rng.choice([
            f"The day after {EN_DAYS[i]} is {EN_DAYS[(i + 1) % 7]}.",
            f"The day before {EN_DAYS[i]} is {EN_DAYS[i - 1]}.",
            f"If today is {EN_DAYS[i]}, then in {k} days it will be {EN_DAYS[(i + k) % 7]}.",
            f"If today is {EN_DAYS[i]}, then {k} days ago it was {EN_DAYS[(i - k) % 7]}.",
            f"The month after {EN_MONTHS[m]} is {EN_MONTHS[(m + 1) % 12]}.",
            f"{EN_MONTHS[m]} is month number {m + 1} of the year.",
            f"{EN_MONTHS[m]} has {MONTH_DAYS[m]} days." if m != 1 else "February has 28 days, or 29 in a leap year.",
            rng.choice(["A week has seven days.", "A year has twelve months.",
                        "Saturday and Sunday are the weekend.", "A leap year has 366 days."]),
        ])
    return " ".join(distinct(rng, 4, 6, fact))


def zh_calendar(rng):
    def fact():
        i, m, k = rng.randrange(7), rng.randrange(12), rng.randint(2, 6)
        return rng.choice([
            f"{ZH_DAYS[i]}的后一天是{ZH_DAYS[(i + 1) % 7]}。",
            f"{ZH_DAYS[i]}的前一天是{ZH_DAYS[i - 1]}。",
            f"如果今天是{ZH_DAYS[i]}，那么{zh_count(k)}天后是{ZH_DAYS[(i + k) % 7]}。",
            f"如果今天是{ZH_DAYS[i]}，那么{zh_count(k)}天前是{ZH_DAYS[(i - k) % 7]}。",
            f"{zh_month(m)}的下一个月是{zh_month((m + 1) % 12)}。",
            f"{zh_month(m)}有{zh_number(MONTH_DAYS[m])}天。" if m != 1 else "二月有二十八天，闰年有二十九天。",
            rng.choice(["一个星期有七天。", "一年有十二个月。", "星期六和星期日是周末。", "闰年有三百六十六天。"]),
        ])
    return "".join(distinct(rng, 4, 6, fact))


def _report_rows(rng, cities):
    rows = []
    for city in rng.sample(cities, rng.randint(2, 4)):
        w = rng.choice(REPORT_WEATHER)
        lo_min, hi_max = REPORT_TEMPS[w[0]]
        lo = rng.randint(lo_min, hi_max - 6)
        rows.append((city, w, lo, rng.randint(lo + 3, min(lo + 12, hi_max))))
    return rows


def en_weather(rng):
    day = rng.choice(EN_DAYS)
    lines = [f"Weather report for {day}:"]
    for city, w, lo, hi in _report_rows(rng, [c for c, _ in EN_CITIES]):
        lines.append(f"{city}: {w[1]}, from {lo} to {hi} degrees. {w[2]}")
    return "\n".join(lines)


def zh_weather(rng):
    day = rng.choice(ZH_DAYS)
    lines = [f"{day}天气预报："]
    for city, w, lo, hi in _report_rows(rng, [c for c, _ in ZH_CITIES]):
        lines.append(f"{city}：{w[3]}，{zh_temp(lo)}到{zh_temp(hi)}。{w[4]}")
    return "\n".join(lines)


def _service(rng, lang, held_out, who):
    """A customer-service exchange built from the dialogue intents (greeting, request, thanks),
    never using a validation or test question, so fine-tuning evaluation stays honest."""
    def pick(names, extra=()):
        pool = [i for i in INTENTS if i[1] == lang and i[0] in names]
        while True:
            q, a = rng.choice(extra) if extra and rng.random() < 0.1 else intent_pair(rng.choice(pool), rng)
            if q not in held_out:
                return q, a

    login = [(q, a) for lg, a, rows in LOGIN if lg == lang for split, q in rows if split == "train"]
    turns = [pick(SERVICE_INTENTS, login)]
    if rng.random() < 0.5:
        turns.insert(0, pick(("hello", "good_morning", "how_are_you")))
    if rng.random() < 0.5:
        turns.append(pick(("thanks", "bye")))
    customer, agent = who
    return "\n".join(f"{customer}{q}\n{agent}{a}" for q, a in turns)


SERVICE_INTENTS = ("password", "delete_account", "change_email", "charged_twice", "invoice", "payment_method",
                   "order_status", "cancel", "address", "shipping", "refund")


def en_service(rng, held_out):
    return _service(rng, "en", held_out, ("Customer: ", "Agent: "))


def zh_service(rng, held_out):
    return _service(rng, "zh", held_out, ("顾客：", "客服："))


def _ml(rng, lang):
    en_name, zh_name, sentences = rng.choice(ML_CONCEPTS)
    k = rng.randint(2, len(sentences))
    keep = sorted(rng.sample(range(len(sentences)), k))
    if lang == "en":
        lead = rng.choice(["", f"A note on {en_name}. ", f"About {en_name}: "])
        return lead + " ".join(sentences[i][0] for i in keep)
    lead = rng.choice(["", f"关于{zh_name}的小知识：", f"说说{zh_name}。"])
    return lead + "".join(sentences[i][1] for i in keep)


def en_ml(rng):
    return _ml(rng, "en")


def zh_ml(rng):
    return _ml(rng, "zh")


def en_facts(rng):
    def fact():
        c, col, a, sci = rng.choice(CAPITALS), rng.choice(COLORS), rng.choice(ANIMALS), rng.choice(SCIENCE)
        return rng.choice([
            f"The capital of {c[0]} is {c[1]}.",
            f"{cap(col[0])} is {col[1]}.",
            f"A {a[0]} has {a[2]} legs.",
            f"A {a[0]} says {a[3]}." if a[3] else f"A {a[0]} makes no sound we can hear.",
            f"{cap(a[0])}s often live {a[5]}." if a[0] != "sheep" else f"Sheep often live {a[5]}.",
            sci[0],
        ])
    return " ".join(distinct(rng, 3, 5, fact))


def zh_facts(rng):
    def fact():
        c, col, a, sci = rng.choice(CAPITALS), rng.choice(COLORS), rng.choice(ANIMALS), rng.choice(SCIENCE)
        return rng.choice([
            f"{c[2]}的首都是{c[3]}。",
            f"{col[2]}是{col[3]}的。",
            f"{a[1]}有{zh_count(a[2])}条腿。",
            f"{a[1]}的叫声是“{a[4]}”。" if a[4] else f"{a[1]}几乎不发出我们能听到的声音。",
            f"{a[1]}常常生活{a[6]}。",
            sci[1],
        ])
    return "".join(distinct(rng, 3, 5, fact))


def _score_comment(k, n, lang):
    """The teacher's comment is a fixed function of the score."""
    if k == n:
        return "A perfect score!" if lang == "en" else "全部做对了，太棒了！"
    if 5 * k >= 4 * n:
        return "Well done." if lang == "en" else "做得很好。"
    return "Keep practising." if lang == "en" else "继续加油。"


def _study_numbers(rng):
    a, b = rng.choice([10, 15, 20, 25, 30, 40]), rng.choice([10, 15, 20, 30, 45])
    n = rng.choice([5, 8, 10, 12, 15, 20])
    return a, b, n, rng.randint(n // 2, n)


def en_study(rng):
    name, he, him, his = en_person(rng)
    subj = rng.choice(EN_SUBJECTS)
    a, b, n, k = _study_numbers(rng)
    return (f"{name} is learning {subj}. Every day {he} studies for {a} minutes in the morning and {b} minutes "
            f"in the evening, which is {a + b} minutes a day. Yesterday {he} took {en_a(subj + ' quiz')} "
            f"with {n} questions and got {k} right, so {he} got {n - k if k < n else 'none'} wrong. "
            f"{cap(his)} teacher said: \"{_score_comment(k, n, 'en')}\"")


def zh_study(rng):
    name, ta = zh_person(rng)
    subj = rng.choice(ZH_SUBJECTS)
    a, b, n, k = _study_numbers(rng)
    return (f"{name}在学习{subj}。{ta}每天早上学习{zh_number(a)}分钟，晚上学习{zh_number(b)}分钟，"
            f"一天一共学习{zh_number(a + b)}分钟。昨天的{subj}小测验有{zh_number(n)}道题，{ta}做对了{zh_count(k)}道，"
            f"{f'做错了{zh_count(n - k)}道' if k < n else '一道也没有做错'}。老师说：“{_score_comment(k, n, 'zh')}”")


def _schedule_numbers(rng):
    wake = rng.choice([6 * 60, 6 * 60 + 30, 7 * 60, 7 * 60 + 30])
    eat = rng.choice([15, 20, 30])
    leave = wake + eat + rng.choice([20, 25, 30, 40])
    walk = rng.choice([10, 15, 20, 25])
    return wake, eat, leave, walk


def en_schedule(rng):
    name, he, him, his = en_person(rng)
    wake, eat, leave, walk = _schedule_numbers(rng)
    dest = rng.choice(["school", "work", "the office", "the library"])
    return (f"{name} wakes up at {en_clock(wake)} every morning. {eat} minutes later, at {en_clock(wake + eat)}, "
            f"{he} eats breakfast. {cap(he)} leaves home at {en_clock(leave)}, and the walk to {dest} takes {walk} "
            f"minutes, so {he} arrives at {en_clock(leave + walk)}.")


def zh_schedule(rng):
    name, ta = zh_person(rng)
    wake, eat, leave, walk = _schedule_numbers(rng)
    dest = rng.choice(["学校", "公司", "办公室", "图书馆"])
    return (f"{name}每天早上{zh_clock(wake)}起床。{zh_number(eat)}分钟后，也就是{zh_clock(wake + eat)}，{ta}吃早饭。"
            f"{ta}{zh_clock(leave)}出门，走路去{dest}要{zh_number(walk)}分钟，所以{zh_clock(leave + walk)}到{dest}。")


# =====================================================================================
# Vocabulary-rich paragraphs. The word lists in lexicon.py give thousands of distinct
# words in each language (every inflection of every English verb and noun), so that a
# tokenizer of 8,000 or more pieces has enough to learn from. A fixed made-up "world"
# (towns, people, products; drawn once from its own seed) gives every name one set of
# facts, so a fact about Abermouth or 青石镇 is the same everywhere it appears.
# =====================================================================================

EN_NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                   "eleven", "twelve"]
EN_ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]
PETS = ["hamster", "goldfish", "rabbit", "tortoise", "parrot", "hedgehog", "snail", "silkworm", "goat", "donkey",
        "pigeon", "gecko", "alpaca"]
PETS = [a for a in lx.ANIMALS if a[0].split("/")[0] in PETS]
ZH_COLOUR = dict(c[:2] for c in lx.COLOURS) | {"clear": "无色透明", "milky white": "乳白色"}
TOWN_KINDS = [("village", "村子", "个"), ("town", "镇", "座"), ("city", "城市", "座")]


@dataclass
class Town:
    en: str
    zh: str
    kind: tuple  # ("village", "村子", measure word), ("town", "镇", ...) or ("city", "城市", ...)
    small: bool
    region: tuple  # (English, Chinese) rows of the lexicon tables, here and below
    river: tuple
    people: int
    festival: tuple
    season: tuple
    food: tuple
    trade: tuple  # a PROFESSIONS row


@dataclass
class Person:
    en: str | None  # people with Chinese names appear in the Chinese text only
    zh: str
    gender: str
    town: Town
    age: int
    job: tuple
    hobby: tuple
    sport: tuple
    instrument: tuple
    since: int  # the age at which they started playing it
    colour: tuple
    food: tuple
    pet: tuple
    traits: list  # two TRAITS rows
    relative: tuple  # a RELATIVES row
    relative_job: tuple


@dataclass
class Product:
    name: str  # brand and model, spelled the same in both languages
    brand: str
    kind: tuple  # a PRODUCTS row
    grams: int
    price: int
    colours: list
    good: tuple
    bad: tuple
    town: Town


@dataclass
class World:
    towns: list
    roads: list  # (town, town, kilometres)
    people: list
    products: list
    feeling: dict  # verb -> the feeling it leaves (a fixed, learnable pairing)


def _syllable_names(rng, starts, ends, k):
    """k distinct made-up names (English, Chinese transliteration) from two syllable tables."""
    combos = {}
    for a in starts:
        for b in ends:
            combos.setdefault(a[0] + b[0], a[1] + b[1])
    return rng.sample(list(combos.items()), k)


def _pinyin(p1, p2):
    """Two syllables as one place name: Qing + an -> Qing'an (the apostrophe pinyin uses)."""
    return p1.capitalize() + ("'" if p2[0].lower() in "aoe" else "") + p2.lower()


def _zh_town_names(rng, k):
    """k made-up Chinese towns (English, Chinese, 村/镇/市), none named like a real place."""
    real = [name for row in lx.PROVINCES + lx.CHINA_CITIES for name in row[:2]] + [c for c, _ in ZH_CITIES]
    combos, seen = [], []
    for c1, p1 in lx.ZH_PLACE_CHARS:
        for c2, p2 in lx.ZH_PLACE_CHARS:
            if c1 != c2 and c1 + c2 not in real and _pinyin(p1, p2) not in real:
                combos.append((c1 + c2, _pinyin(p1, p2)))
    rng.shuffle(combos)
    out = []
    for zh, en in combos:
        if en not in seen and len(out) < k:
            seen.append(en)
            kind = rng.choice(lx.ZH_PLACE_KINDS)
            out.append((f"{en} {kind[1]}", zh + kind[0], kind[0]))
    return out


def _zh_person_names(rng, k):
    out = []
    while len(out) < k:
        g = rng.choice(["m", "f"])
        chars = lx.ZH_GIVEN_M if g == "m" else lx.ZH_GIVEN_F
        family = rng.choice(lx.ZH_COMPOUND_SURNAMES) if rng.random() < 0.04 else rng.choice(lx.ZH_SURNAMES)
        name = family + "".join(rng.choice(chars) for _ in range(rng.choice([1, 2, 2])))
        if all(name != n for n, _ in out):
            out.append((name, g))
    return out


def make_world(rng: random.Random) -> World:
    foods = lx.DISHES + [(lx.plural(f[0])[1], f[1]) for f in lx.FRUITS + lx.VEGETABLES[:30]]  # "apricots", "tofu"
    rivers_west = [(f"the {en}", zh + "河") for en, zh in
                   _syllable_names(rng, lx.RIVER_STARTS, lx.RIVER_ENDS, 70)]
    rivers_zh = {}
    for c, p in lx.ZH_PLACE_CHARS:  # one river per pinyin syllable, so no two share an English name
        rivers_zh.setdefault(f"the {p.capitalize()} River", c + rng.choice(["江", "河"]))
    rivers_zh = list(rivers_zh.items())

    def town(en, zh, people, rivers, kind=None):
        kind = kind or (TOWN_KINDS[1] if people < 20000 else TOWN_KINDS[2])
        return Town(en, zh, kind, people < 20000, rng.choice(lx.REGIONS), rng.choice(rivers), people,
                    rng.choice(lx.FESTIVALS), rng.choice(lx.SEASONS), rng.choice(foods), rng.choice(lx.PROFESSIONS))

    towns = [town(en, zh, rng.randrange(2000, 90000, 100), rivers_west)
             for en, zh in _syllable_names(rng, lx.TOWN_STARTS, lx.TOWN_ENDS, 200)]
    for en, zh, kind in _zh_town_names(rng, 200):
        lo, hi = {"村": (300, 3000), "镇": (3000, 40000), "市": (50000, 900000)}[kind]
        towns.append(town(en, zh, rng.randrange(lo, hi, 100), rivers_zh, TOWN_KINDS["村镇市".index(kind)]))
    roads = {}
    for i in range(len(towns)):  # every town has a road to another, and each pair one distance
        for j in rng.sample([j for j in range(len(towns)) if j != i], 1):
            roads.setdefault((min(i, j), max(i, j)), rng.randint(8, 600))

    def person(en, zh, g):
        age = rng.randint(19, 70)
        return Person(en, zh, g, rng.choice(towns), age, rng.choice(lx.PROFESSIONS), rng.choice(lx.HOBBIES),
                      rng.choice(lx.SPORTS), rng.choice(lx.INSTRUMENTS), rng.randint(5, min(age, 40)),
                      rng.choice(lx.COLOURS), rng.choice(foods), rng.choice(PETS), rng.sample(lx.TRAITS, 2),
                      rng.choice(lx.RELATIVES), rng.choice(lx.PROFESSIONS))

    people = []
    first = {"f": _syllable_names(rng, lx.NAME_STARTS, lx.NAME_ENDS_F, 220),
             "m": _syllable_names(rng, lx.NAME_STARTS, lx.NAME_ENDS_M, 220)}
    last = _syllable_names(rng, lx.SURNAME_STARTS, lx.SURNAME_ENDS, 440)
    for k, (family_en, family_zh) in enumerate(last):  # written "given·family" in Chinese
        g = "fm"[k % 2]
        given_en, given_zh = first[g][k // 2]
        people.append(person(f"{given_en} {family_en}", f"{given_zh}·{family_zh}", g))
    people += [person(None, zh, g) for zh, g in _zh_person_names(rng, 600)]

    models = ["One", "Mini", "Max", "Air", "Pro", "Lite", "Plus", "Go", "Neo", "Flex", "Edge", "Nova", "Zoom"]
    brands = [a + b for a in lx.BRAND_STARTS for b in lx.BRAND_ENDS]
    products, names = [], []
    while len(products) < 400:
        brand, kind = rng.choice(brands), rng.choice(lx.PRODUCTS)
        name = f"{brand} {rng.choice(models)} {rng.randint(2, 9)}"
        if name not in names:
            names.append(name)
            good, bad = rng.sample(lx.FEATURES, 2)
            products.append(Product(name, brand, kind, rng.randrange(int(kind[2]), int(kind[3]), 10),
                                    rng.randrange(int(kind[4]), int(kind[5])), rng.sample(lx.COLOURS, 3), good, bad,
                                    rng.choice(towns)))
    return World(towns, [(towns[i], towns[j], d) for (i, j), d in roads.items()], people, products,
                 {v[0]: rng.choice(lx.FEELINGS) for v in lx.VERBS})


WORLD = make_world(random.Random(SEED + 2))


def noun(spec: str) -> tuple[str, str, bool]:
    """(singular, plural, countable)."""
    one, many = lx.plural(spec)
    return one, many, not spec.endswith("/")


def en_pronouns(p: Person):
    return EN_PRONOUNS[p.gender]


def en_people():
    return [p for p in WORLD.people if p.en]


def en_minutes(total: int) -> str:
    h, m = divmod(total, 60)
    parts = ([f"{h} hour{'s' if h > 1 else ''}"] if h else []) + ([f"{m} minutes"] if m else [])
    return " and ".join(parts)


def zh_minutes(total: int) -> str:
    h, m = divmod(total, 60)
    return (f"{h}个小时" if h else "") + (f"{m}分钟" if m else "")


# --- towns ---------------------------------------------------------------------------------

def _roads_of(t: Town):
    return [(b if a is t else a, d) for a, b, d in WORLD.roads if a is t or b is t]


def en_town(rng):
    t = rng.choice(WORLD.towns)
    other, d = rng.choice(_roads_of(t))
    s = [f"{t.en} is a {'small' if t.small else 'large'} {t.kind[0]} {t.region[0]}.",
         rng.choice([f"{cap(t.river[0])} runs through it.", f"It lies on {t.river[0]}."]),
         f"About {t.people:,} people live there.",
         f"{t.en} is {d} kilometres from {other.en}.",
         f"It is famous for its {t.food[0]}, and many people there work as {noun(t.trade[0])[1]}.",
         f"Every {t.season[0]}, the {t.kind[0]} holds {t.festival[0]}."]
    return " ".join(s[:2] + rng.sample(s[2:], rng.randint(2, 4)))


def zh_town(rng):
    t = rng.choice(WORLD.towns)
    other, d = rng.choice(_roads_of(t))
    s = [f"{t.zh}是一{t.kind[2]}{'小' if t.small else '大'}{t.kind[1]}，{t.region[1]}。", f"{t.river[1]}从这里流过。",
         f"大约有{t.people}人住在这里。", f"{t.zh}离{other.zh}有{d}公里。",
         f"这里的{t.food[1]}很有名，很多人在这里当{t.trade[1]}。", f"每年{t.season[1]}，这里都会举办{t.festival[1]}。"]
    return "".join(s[:2] + rng.sample(s[2:], rng.randint(2, 4)))


def _trip(rng):
    a, b, d = rng.choice(WORLD.roads)
    if rng.random() < 0.5:
        a, b = b, a
    fits = [v for v in lx.VEHICLES if (int(v[2]) <= 30) == (d <= 40) and (int(v[2]) < 600 or d >= 300)]
    v = rng.choice(fits)
    minutes = max(5, round(d / int(v[2]) * 12) * 5)  # d / speed hours, to the nearest 5 minutes
    return a, b, d, v, minutes


def en_travel(rng):
    p, (a, b, d, v, minutes) = rng.choice(en_people()), _trip(rng)
    he, him, his = en_pronouns(p)
    s = [f"{p.en} travelled from {a.en} to {b.en} by {v[0]}.",
         f"The two places are {d} kilometres apart, and {en_a(v[0])} goes about {v[2]} kilometres an hour, "
         f"so the journey took about {en_minutes(minutes)}.",
         rng.choice([f"In {b.en}, {he} tried the famous {b.food[0]}.",
                     f"{cap(he)} visited {en_a(noun(rng.choice(lx.BUILDINGS)[0])[0])} in {b.en}.",
                     f"On the way, {he} read about {b.en}: about {b.people:,} people live there."])]
    return " ".join(s)


def zh_travel(rng):
    p, (a, b, d, v, minutes) = rng.choice(WORLD.people), _trip(rng)
    ride = "骑" if v[0] in ("bicycle", "motorbike") else "坐"
    s = [f"{p.zh}{ride}{v[1]}从{a.zh}去{b.zh}。",
         f"两地相距{d}公里，{v[1]}每小时大约走{v[2]}公里，所以路上大约用了{zh_minutes(minutes)}。",
         rng.choice([f"到了{b.zh}，{ZH_PRONOUNS[p.gender]}尝了那里有名的{b.food[1]}。",
                     f"{ZH_PRONOUNS[p.gender]}在{b.zh}参观了一家{rng.choice(lx.BUILDINGS)[1]}。",
                     f"路上，{ZH_PRONOUNS[p.gender]}读到{b.zh}大约有{b.people}人。"])]
    return "".join(s)


# --- people --------------------------------------------------------------------------------

def en_profile(rng):
    p = rng.choice(en_people())
    he, him, his = en_pronouns(p)
    first = p.en.split()[0]
    s = [rng.choice([f"{p.en} is {en_a(noun(p.job[0])[0])} from {p.town.en}.",
                     f"{p.en}, who is {p.age}, works as {en_a(noun(p.job[0])[0])} in {p.town.en}."]),
         f"As {en_a(noun(p.job[0])[0])}, {he} {p.job[2]}.",
         f"In {his} free time {first} enjoys {p.hobby[0]}.",
         f"{cap(he)} is good at {p.sport[0]}.",
         f"{cap(he)} has played the {p.instrument[0]} since {he} was {p.since}.",
         f"{cap(his)} favourite colour is {p.colour[0]}, and {his} favourite food is {p.food[0]}.",
         f"{cap(he)} keeps {en_a(noun(p.pet[0])[0])} as a pet.",
         f"{first} is {p.age} years old.",
         f"{first} is {p.traits[0][0]} and {p.traits[1][0]}.",
         f"{cap(his)} {noun(p.relative[0])[0]} is {en_a(noun(p.relative_job[0])[0])}."]
    return " ".join(s[:1] + rng.sample(s[1:], rng.randint(3, 5)))


def zh_profile(rng):
    p = rng.choice(WORLD.people)
    ta = ZH_PRONOUNS[p.gender]
    s = [rng.choice([f"{p.zh}是{p.town.zh}的一名{p.job[1]}。", f"{p.zh}今年{p.age}岁，在{p.town.zh}当{p.job[1]}。"]),
         f"作为{p.job[1]}，{ta}每天{p.job[3]}。", f"空闲的时候，{ta}喜欢{p.hobby[1]}。", f"{ta}很擅长{p.sport[1]}。",
         f"{ta}从{p.since}岁起就开始{p.instrument[2]}{p.instrument[1]}。",
         f"{ta}最喜欢的颜色是{p.colour[1]}，最喜欢的食物是{p.food[1]}。",
         f"{ta}养了一{p.pet[5]}{p.pet[1]}。", f"{p.zh}今年{p.age}岁。",
         f"{p.zh}很{p.traits[0][1]}，也很{p.traits[1][1]}。", f"{ta}的{p.relative[1]}是{p.relative_job[1]}。"]
    return "".join(s[:1] + rng.sample(s[1:], rng.randint(3, 5)))


# --- things people do: every verb with every kind of thing it takes -------------------------

# kind letter of lexicon.VERBS -> (English noun spec, Chinese, Chinese measure word) of the things
THINGS = {"f": [(r[0], r[1], "个") for r in lx.FRUITS + lx.VEGETABLES],
          "a": [(r[0], r[1], r[5]) for r in lx.ANIMALS],
          "o": lx.TOOLS + lx.SCHOOL_THINGS, "c": lx.CLOTHES,
          "p": [(r[0], r[1], "朵") for r in lx.FLOWERS] + [(r[0], r[1], "棵") for r in lx.TREES]}
ADJECTIVES_FOR = {k: [a for a in lx.ADJECTIVES if k in a[2]] for k in THINGS}


def _deed(rng):
    """A verb, one thing it takes, an adjective that fits the thing, and a determiner."""
    verb = rng.choice(lx.VERBS)
    kind = rng.choice(verb[2])
    thing = rng.choice(THINGS[kind])
    adj = rng.choice(ADJECTIVES_FOR[kind])
    one, many, countable = noun(thing[0])
    det = rng.choice(["a", "the", "some", "n", "own"] if countable else ["the", "some", "own"])
    return verb, thing, adj, det, rng.randint(2, 6)


def en_deed(p: Person, deed) -> str:
    verb, thing, adj, det, n = deed
    he, him, his = en_pronouns(p)
    one, many, _ = noun(thing[0])
    obj = {"a": en_a(f"{adj[0]} {one}"), "the": f"the {adj[0]} {one}", "some": f"some {adj[0]} {many}",
           "n": f"{EN_NUMBER_WORDS[n]} {adj[0]} {many}", "own": f"{his} {adj[0]} {one}"}[det]
    return f"{lx.verb_forms(verb[0])['past']} {obj}"


def zh_deed(p: Person, deed) -> str:
    verb, thing, adj, det, n = deed
    mw = thing[2]
    obj = {"a": f"一{mw}", "the": f"那{mw}", "some": "一些", "n": f"{zh_count(n)}{mw}",
           "own": f"{ZH_PRONOUNS[p.gender]}的"}[det] + adj[1] + thing[1]
    return f"{verb[1]}了{obj}"


def en_diary(rng):
    p = rng.choice(en_people())
    he, him, his = en_pronouns(p)
    first = p.en.split()[0]
    when = rng.choice([f"On {rng.choice(EN_DAYS)} {rng.choice(['morning', 'afternoon', 'evening'])}", "Yesterday",
                       f"Last {rng.choice(lx.SEASONS)[0]}", "Early this morning"])
    where = rng.choice([f" at the {noun(rng.choice(lx.BUILDINGS)[0])[0]}", f" by the {noun(rng.choice(lx.LANDFORMS)[0])[0]}",
                        f" near {p.town.en}", ""])
    deeds = [_deed(rng) for _ in range(rng.randint(2, 4))]
    adv = rng.choice(lx.ADVERBS)[0]
    s = [f"{when}, {first} {adv} {en_deed(p, deeds[0])}{where}."]
    for deed in deeds[1:]:
        s.append(f"{rng.choice(['Then', 'After that,', 'Later', 'Next'])} {he} {en_deed(p, deed)}.")
    act, rel = rng.choice(lx.ACTIVITIES), noun(rng.choice(lx.RELATIVES)[0])[0]
    there = f"in the {noun(rng.choice(lx.ROOMS)[0])[0]}" if act[2] == "i" else f"by the {noun(rng.choice(lx.LANDFORMS)[0])[0]}"
    idea, iverb = rng.choice(lx.IDEAS), rng.choice(lx.IDEA_VERBS)
    forms = lx.verb_forms(act[0])
    s.insert(rng.randint(1, len(s)), rng.choice([
        f"{cap(he)} {rng.choice(lx.ADVERBS)[0]} {forms['past']} {there} for a while.",
        f"Right now {he} is {forms['ing']} {there}.",
        f"{cap(he)} often {forms['s']} with {his} {rel}.",
        f"{cap(he)} {lx.verb_forms(iverb[0])['past']} {his} {noun(idea[0])[0]} with {his} {rel}."]))
    verb = deeds[-1][0]
    s.append(rng.choice([f"{cap(he)} felt {WORLD.feeling[verb[0]][0]} afterwards.",
                         f"{first} practised the {p.instrument[0]} for {rng.choice([10, 15, 20, 30, 45])} minutes.",
                         f"Every {rng.choice(EN_DAYS)}, {he} {lx.verb_forms(verb[0])['s']} something new."]))
    return " ".join(s)


def zh_diary(rng):
    p = rng.choice(WORLD.people)
    ta = ZH_PRONOUNS[p.gender]
    when = rng.choice([f"{rng.choice(ZH_DAYS)}{rng.choice(['早上', '下午', '晚上'])}", "昨天",
                       f"去年{rng.choice(lx.SEASONS)[1]}", "今天一大早"])
    where = rng.choice([f"在{rng.choice(lx.BUILDINGS)[1]}", f"在{rng.choice(lx.LANDFORMS)[1]}边", f"在{p.town.zh}附近", ""])
    deeds = [_deed(rng) for _ in range(rng.randint(2, 4))]
    adv = rng.choice(lx.ADVERBS)[1]
    s = [f"{when}，{p.zh}{where}{adv}地{zh_deed(p, deeds[0])}。"]
    for deed in deeds[1:]:
        s.append(f"{rng.choice(['然后', '接着', '后来', '过了一会儿'])}，{ta}{zh_deed(p, deed)}。")
    act, rel = rng.choice(lx.ACTIVITIES), rng.choice(lx.RELATIVES)[1]
    there = f"在{rng.choice(lx.ROOMS)[1]}里" if act[2] == "i" else f"在{rng.choice(lx.LANDFORMS)[1]}边"
    idea, iverb = rng.choice(lx.IDEAS), rng.choice(lx.IDEA_VERBS)
    s.insert(rng.randint(1, len(s)), rng.choice([
        f"{ta}{there}{rng.choice(lx.ADVERBS)[1]}地{act[1]}了一会儿。", f"现在{ta}正{there}{act[1]}。",
        f"{ta}常常和{rel}一起{act[1]}。", f"{ta}和{rel}一起{iverb[1]}了{ta}的{idea[1]}。"]))
    verb = deeds[-1][0]
    minutes = rng.choice([10, 15, 20, 30, 45])
    s.append(rng.choice([f"之后，{ta}觉得很{WORLD.feeling[verb[0]][1]}。",
                         f"{p.zh}{p.instrument[2]}了{zh_number(minutes)}分钟{p.instrument[1]}。",
                         f"每个{rng.choice(ZH_DAYS)}，{ta}都会{verb[1]}点儿新东西。"]))
    return "".join(s)


# --- animals, plants, words ----------------------------------------------------------------

def en_animal(rng):
    a, b = rng.sample(lx.ANIMALS, 2)
    one, many, _ = noun(a[0])
    cls, home, food = lx.ANIMAL_CLASSES[a[2]], lx.HABITATS[a[3]], lx.DIETS[a[4]]
    s = [f"The {one} is {en_a(cls[0])}.", f"{cap(many)} live {home[0]} and eat {food[0]}."]
    b_cls = lx.ANIMAL_CLASSES[b[2]]
    if b[2] == a[2]:
        s.append(f"Like the {noun(b[0])[0]}, the {one} is {en_a(cls[0])}.")
    else:
        s.append(f"Unlike the {noun(b[0])[0]}, which is {en_a(b_cls[0])}, the {one} is {en_a(cls[0])}.")
    if rng.random() < 0.5:
        s.append(f"In Chinese, {en_a(one)} is called “{a[1]}”.")
    if rng.random() < 0.5:
        adj = rng.choice(ADJECTIVES_FOR["a"])
        p = rng.choice(en_people())
        s.append(f"{p.en} once saw {en_a(adj[0] + ' ' + one)} near {p.town.en}.")
    return " ".join(s)


def zh_animal(rng):
    a, b = rng.sample(lx.ANIMALS, 2)
    cls, home, food = lx.ANIMAL_CLASSES[a[2]], lx.HABITATS[a[3]], lx.DIETS[a[4]]
    diet = food[1] if a[4] == "mixed" else f"吃{food[1]}"
    s = [f"{a[1]}是{cls[1]}。", f"{a[1]}生活{home[1]}，{diet}。"]
    b_cls = lx.ANIMAL_CLASSES[b[2]]
    s.append(f"{a[1]}和{b[1]}一样，都是{cls[1]}。" if b[2] == a[2] else f"{b[1]}是{b_cls[1]}，{a[1]}却是{cls[1]}。")
    if rng.random() < 0.5:
        s.append(f"{a[1]}的英文是 {noun(a[0])[0]}。")
    if rng.random() < 0.5:
        adj = rng.choice(ADJECTIVES_FOR["a"])
        p = rng.choice(WORLD.people)
        s.append(f"{p.zh}曾经在{p.town.zh}附近看到过一{a[5]}{adj[1]}{a[1]}。")
    return "".join(s)


def en_garden(rng):
    p = rng.choice(en_people())
    he, him, his = en_pronouns(p)
    flower, tree, land = rng.choice(lx.FLOWERS), rng.choice(lx.TREES), rng.choice(lx.LANDFORMS)
    f_one, f_many, _ = noun(flower[0])
    animal = rng.choice([a for a in lx.ANIMALS if a[3] in ("garden", "forest", "pond", "grass", "river")])
    adj = rng.choice(ADJECTIVES_FOR["a"])
    leaves = "stay green all year" if tree[2] == "evergreen" else f"turn {tree[2]} in autumn"
    s = [f"On a {rng.choice(['warm', 'cool', 'bright', 'quiet'])} {rng.choice(lx.SEASONS)[0]} day, {p.en} went for "
         f"a walk by the {noun(land[0])[0]} near {p.town.en}.",
         f"{cap(f_many)} were growing everywhere, and their flowers were {flower[2]}.",
         f"{cap(en_a(adj[0] + ' ' + noun(animal[0])[0]))} was hiding under {en_a(tree[0])}.",
         f"The leaves of the {tree[0]} {leaves}.",
         f"{cap(he)} picked {en_a(f_one)} and took it home."]
    return " ".join(s[:1] + rng.sample(s[1:], rng.randint(2, 4)))


def zh_garden(rng):
    p = rng.choice(WORLD.people)
    ta = ZH_PRONOUNS[p.gender]
    flower, tree, land = rng.choice(lx.FLOWERS), rng.choice(lx.TREES), rng.choice(lx.LANDFORMS)
    animal = rng.choice([a for a in lx.ANIMALS if a[3] in ("garden", "forest", "pond", "grass", "river")])
    adj = rng.choice(ADJECTIVES_FOR["a"])
    leaves = "一年四季都是绿的" if tree[2] == "evergreen" else f"到了秋天会变成{ZH_COLOUR[tree[2]]}"
    s = [f"{rng.choice(lx.SEASONS)[1]}的一天，{p.zh}在{p.town.zh}附近的{land[1]}边散步。",
         f"到处都开着{flower[1]}，花是{ZH_COLOUR[flower[2]]}的。",
         f"一{animal[5]}{adj[1]}{animal[1]}躲在{tree[1]}下面。", f"{tree[1]}的叶子{leaves}。",
         f"{ta}摘了一朵{flower[1]}带回了家。"]
    return "".join(s[:1] + rng.sample(s[1:], rng.randint(2, 4)))


WORD_TOPICS = [("fruit", "水果", lx.FRUITS), ("vegetables", "蔬菜", lx.VEGETABLES), ("animals", "动物", lx.ANIMALS),
               ("things at home", "家里的东西", lx.TOOLS), ("clothes", "衣服", lx.CLOTHES), ("colours", "颜色", lx.COLOURS),
               ("jobs", "职业", lx.PROFESSIONS), ("sports", "运动", lx.SPORTS), ("music", "乐器", lx.INSTRUMENTS),
               ("the body", "身体", lx.BODY), ("buildings", "建筑", lx.BUILDINGS), ("materials", "材料", lx.MATERIALS),
               ("trees", "树木", lx.TREES), ("flowers", "花", lx.FLOWERS), ("drinks", "饮料", lx.DRINKS),
               ("food", "食物", lx.DISHES), ("nature", "自然", lx.LANDFORMS), ("feelings", "心情", lx.FEELINGS),
               ("things people do", "活动", lx.ACTIVITIES), ("character", "性格", lx.TRAITS),
               ("family and friends", "亲友", lx.RELATIVES), ("the home", "房间", lx.ROOMS), ("ideas", "想法", lx.IDEAS),
               ("weather", "天气", lx.WEATHER_WORDS), ("school", "文具", lx.SCHOOL_THINGS), ("precious stones", "宝石", lx.GEMS),
               ("shapes", "形状", lx.SHAPES), ("seasonings", "调料", lx.SEASONINGS), ("hobbies", "爱好", lx.HOBBIES)]


def _headword(spec: str) -> str:
    return noun(spec.split("/")[0].rstrip("+"))[0]


def en_words(rng):
    topic, _zh, rows = rng.choice(WORD_TOPICS)
    pairs = [f"{_headword(r[0])} is “{r[1]}”" for r in rng.sample(rows, rng.randint(3, 6))]
    return f"Chinese words for {topic}: {', '.join(pairs[:-1])}, and {pairs[-1]}."


def zh_words(rng):
    _en, topic, rows = rng.choice(WORD_TOPICS)
    pairs = [f"{r[1]}是 {_headword(r[0])}" for r in rng.sample(rows, rng.randint(3, 6))]
    return f"关于{topic}的英语单词：{'，'.join(pairs)}。"


# --- cooking ---------------------------------------------------------------------------------

# method -> (English dish name, Chinese dish name, steps); {a} and {b} are the two ingredients.
RECIPES = {
    "soup": ("{a} and {b} soup", "{a}{b}汤", [
        ("Wash the {as} and the {bs}.", "把{a}和{b}洗干净。"),
        ("Peel the {as} and cut them into small pieces.", "把{a}去皮，切成小块。"),
        ("Boil everything in a pot of water for {n} minutes.", "全部放进锅里，加水煮{n}分钟。"),
        ("Add a pinch of {spice} and simmer for {m} more minutes.", "加一点{spice}，再用小火炖{m}分钟。")]),
    "stir-fry": ("stir-fried {a} with {b}", "{b}炒{a}", [
        ("Wash the {as} and slice the {bs} thinly.", "把{a}洗干净，把{b}切成薄片。"),
        ("Heat some {oil} in a pan.", "锅里倒一点{zoil}，烧热。"),
        ("Fry the {bs} for {n} minutes, stirring all the time.", "先放{b}，不停地翻炒{n}分钟。"),
        ("Add the {as} and a little {spice}, and fry for {m} more minutes.", "再放入{a}和少许{spice}，炒{m}分钟。")]),
    "salad": ("{a} and {b} salad", "{a}{b}沙拉", [
        ("Wash the {as} and the {bs} in cold water.", "把{a}和{b}用冷水洗干净。"),
        ("Chop the {as} and slice the {bs}.", "把{a}切碎，把{b}切成片。"),
        ("Mix them in a large bowl with a spoonful of {oil}, and season with {spice}.", "放进大碗里，加一勺{zoil}和{spice}拌匀。"),
        ("Leave it in a cool place for {n} minutes, then stir again and wait {m} minutes.",
         "放在阴凉的地方{n}分钟，再拌一拌，等{m}分钟。")]),
    "stew": ("{a} and {b} stew", "{a}炖{b}", [
        ("Cut the {as} and the {bs} into large pieces.", "把{a}和{b}切成大块。"),
        ("Put them in a heavy pot with water and {spice}.", "放进厚底锅里，加水和{spice}。"),
        ("Bring it to the boil, which takes about {n} minutes.", "先把水烧开，大约要{n}分钟。"),
        ("Then simmer over a low heat for {m} minutes, until everything is soft.", "再用小火慢炖{m}分钟，直到都炖软了。")]),
    "pie": ("{a} and {b} pie", "{a}{b}馅饼", [
        ("Make a dough from flour, butter and water, and let it rest.", "用面粉、黄油和水和成面团，放一会儿。"),
        ("Cook the {as} and the {bs} with a little {spice} for {n} minutes.", "把{a}和{b}加少许{spice}炒{n}分钟。"),
        ("Put the filling in the dough and bake in a hot oven for {m} minutes.", "把馅放进面皮里，放进烤箱烤{m}分钟。"),
        ("Let the pie cool before cutting it.", "放凉以后再切开。")]),
    "dumplings": ("{a} and {b} dumplings", "{a}{b}馅饺子", [
        ("Chop the {as} and the {bs} very finely.", "把{a}和{b}剁得很碎。"),
        ("Mix them with {spice} and a little {oil} to make the filling.", "加{spice}和一点{zoil}拌成馅。"),
        ("Wrap a spoonful of filling in each wrapper; this takes about {n} minutes.", "每张饺子皮包一勺馅，大约要包{n}分钟。"),
        ("Boil the dumplings for {m} minutes, until they float.", "把饺子煮{m}分钟，直到浮起来。")]),
}


def _recipe(rng):
    method = rng.choice(list(RECIPES))
    a, b = rng.sample(lx.VEGETABLES + (lx.FRUITS if method in ("salad", "pie") else []), 2)
    oil = rng.randrange(len(lx.OILS[0]))
    spice = rng.choice(lx.SEASONINGS)
    return method, a, b, oil, spice, rng.choice([5, 10, 15, 20]), rng.choice([5, 10, 15, 20, 25, 30])


def en_recipe(rng):
    method, a, b, oil, spice, n, m = _recipe(rng)
    name, steps = RECIPES[method][0], RECIPES[method][2]
    fill = {"a": noun(a[0])[0], "b": noun(b[0])[0], "as": noun(a[0])[1], "bs": noun(b[0])[1],
            "oil": lx.OILS[0][oil], "spice": spice[0], "n": n, "m": m}
    p = rng.choice(en_people())
    s = [rng.choice([f"How to make {name.format(**fill)}.", f"{p.en}'s recipe for {name.format(**fill)}."])]
    s += [step[0].format(**fill) for step in steps]
    s.append(f"Altogether the cooking takes {n + m} minutes.")
    s.append(rng.choice([f"Serve it with {rng.choice(lx.SIDES)[0]}.", "Enjoy it while it is hot.",
                         f"It is enough for {EN_NUMBER_WORDS[rng.randint(2, 6)]} people."]))
    return " ".join(s)


def zh_recipe(rng):
    method, a, b, oil, spice, n, m = _recipe(rng)
    name, steps = RECIPES[method][1], RECIPES[method][2]
    fill = {"a": a[1], "b": b[1], "zoil": lx.OILS[1][oil], "spice": spice[1], "n": zh_number(n), "m": zh_number(m)}
    p = rng.choice(WORLD.people)
    s = [rng.choice([f"{name.format(**fill)}的做法：", f"{p.zh}家的{name.format(**fill)}是这样做的："])]
    s += [step[1].format(**fill) for step in steps]
    s.append(f"一共要做{zh_number(n + m)}分钟。")
    s.append(rng.choice([f"可以配着{rng.choice(lx.SIDES)[1]}吃。", "趁热吃最好吃。",
                         f"够{zh_count(rng.randint(2, 6))}个人吃。"]))
    return "".join(s)


# --- products ------------------------------------------------------------------------------

def en_product(rng):
    x = rng.choice(WORLD.products)
    kind = noun(x.kind[0])[0]
    c = [col[0] for col in x.colours]
    s = [f"The {x.name} is {en_a(kind)} made by {x.brand}, a company based in {x.town.en}.",
         f"It weighs {x.grams} grams and costs {x.price} dollars.",
         f"It comes in {c[0]}, {c[1]} and {c[2]}.",
         f"Reviewers like its {x.good[0]} but are less happy with its {x.bad[0]}."]
    y = rng.choice([p for p in WORLD.products if p.kind is x.kind and p is not x] or [x])
    if y is not x and y.price != x.price:
        lo, hi = sorted([x, y], key=lambda p: p.price)
        s.append(f"The {lo.name} costs {hi.price - lo.price} dollars less than the {hi.name}.")
    return " ".join(s[:1] + rng.sample(s[1:4], rng.randint(2, 3)) + s[4:])


def zh_product(rng):
    x = rng.choice(WORLD.products)
    c = [col[1] for col in x.colours]
    s = [f"{x.name}是{x.brand}公司出品的一款{x.kind[1]}，这家公司在{x.town.zh}。",
         f"它重{x.grams}克，售价{x.price}元。", f"它有{c[0]}、{c[1]}和{c[2]}三种颜色。",
         f"用户喜欢它的{x.good[1]}，但对它的{x.bad[1]}不太满意。"]
    y = rng.choice([p for p in WORLD.products if p.kind is x.kind and p is not x] or [x])
    if y is not x and y.price != x.price:
        lo, hi = sorted([x, y], key=lambda p: p.price)
        s.append(f"{lo.name}比{hi.name}便宜{hi.price - lo.price}元。")
    return "".join(s[:1] + rng.sample(s[1:4], rng.randint(2, 3)) + s[4:])


# --- sayings and geography -----------------------------------------------------------------

def en_idioms(rng):
    p = rng.choice(en_people())
    he, him, his = en_pronouns(p)
    rows = rng.sample(lx.EN_IDIOMS, rng.randint(2, 4))
    s = [f"Today {p.en.split()[0]} learned {EN_NUMBER_WORDS[len(rows)]} English idioms."]
    s += [f"“{cap(i)}” means “{m}”." for i, m in rows]
    s.append(f"{cap(he)} wants to use “{rows[0][0]}” in {his} next letter.")
    return " ".join(s)


def zh_idioms(rng):
    p = rng.choice(WORLD.people)
    rows = rng.sample(lx.CHENGYU, rng.randint(2, 4))
    s = [f"今天{p.zh}学了{zh_count(len(rows))}个成语。"]
    s += [f"“{c}”的意思是{m}。" for c, m in rows]
    s.append(f"{ZH_PRONOUNS[p.gender]}打算在下一篇作文里用上“{rows[0][0]}”。")
    return "".join(s)


def fact_makers(draw):
    """English and Chinese paragraph makers of 3-5 distinct facts; draw(rng) -> (English, Chinese)."""
    def maker(lang):
        return lambda rng: (" ", "")[lang].join(distinct(rng, 3, 5, lambda: draw(rng)[lang]))
    return maker(0), maker(1)


def _geography_fact(rng):
    t = rng.choice(WORLD.towns)
    pr, c, pl, lang = rng.choice(lx.PROVINCES), rng.choice(lx.MORE_CAPITALS), rng.choice(lx.PLANETS), rng.choice(lx.LANGUAGES)
    return rng.choice([
        (f"The capital of {pr[0]} province is {pr[2]}.", f"{pr[1]}省的省会是{pr[3]}。"),
        (f"The capital of {c[0]} is {c[2]}.", f"{c[1]}的首都是{c[3]}。"),
        (f"{pl[0]} is the {EN_ORDINALS[int(pl[2]) - 1]} planet from the Sun.", f"{pl[1]}是离太阳第{zh_number(int(pl[2]))}近的行星。"),
        (f"{t.en} lies on {t.river[0]}.", f"{t.river[1]}流过{t.zh}。"),
        (f"{t.en} is {t.region[0]}.", f"{t.zh}{t.region[1]}。"),
        (f"People in {lang[0]} speak {lang[2]} and pay with the {lang[4]}.", f"{lang[1]}人说{lang[3]}，用{lang[5]}付钱。")])


en_geography, zh_geography = fact_makers(_geography_fact)


# --- health, festivals, science, comparisons -----------------------------------------------

def en_health(rng):
    p = rng.choice(en_people())
    he, him, his = en_pronouns(p)
    ill = rng.choice(lx.AILMENTS)
    other = rng.choice(lx.AILMENTS)
    s = [f"{p.en} had {ill[0]}, so the doctor told {him} to {ill[2]}.",
         rng.choice([f"{cap(he)} did, and felt better {rng.choice(['the next day', 'two days later', 'soon'])}.",
                     f"{cap(his)} {noun(p.relative[0])[0]} made {him} some {rng.choice(lx.DRINKS)[0]}."]),
         f"If you have {other[0]}, {other[2]}."]
    return " ".join(s)


def zh_health(rng):
    p = rng.choice(WORLD.people)
    ta = ZH_PRONOUNS[p.gender]
    ill = rng.choice(lx.AILMENTS)
    other = rng.choice(lx.AILMENTS)
    s = [f"{p.zh}{ill[1]}，医生让{ta}{ill[3]}。",
         rng.choice([f"{ta}照做了，{rng.choice(['第二天', '两天后', '很快'])}就好多了。",
                     f"{ta}的{p.relative[1]}给{ta}准备了一些{rng.choice(lx.DRINKS)[1]}。"]),
         f"如果{other[1]}，应该{other[3]}。"]
    return "".join(s)


def en_festival(rng):
    f = rng.choice(lx.FESTIVAL_FACTS)
    p = rng.choice(en_people())
    he, him, his = en_pronouns(p)
    s = [f"{cap(f[0])} is {f[2]}.", f"On this day people eat {f[4]} and {f[6]}.",
         rng.choice([f"This year {p.en} spent it with {his} {noun(p.relative[0])[0]} in {p.town.en}.",
                     f"{p.en} likes it because {he} can {f[6]}.", ""])]
    return " ".join(x for x in s if x)


def zh_festival(rng):
    f = rng.choice(lx.FESTIVAL_FACTS)
    p = rng.choice(WORLD.people)
    ta = ZH_PRONOUNS[p.gender]
    s = [f"{f[1]}{f[3]}。", f"这一天，人们吃{f[5]}，还要{f[7]}。",
         rng.choice([f"今年，{p.zh}是和{ta}的{p.relative[1]}在{p.town.zh}过的。", f"{p.zh}喜欢这个节日，因为可以{f[7]}。", ""])]
    return "".join(s)


def _science_fact(rng):
    shape, gem, w, space = rng.choice(lx.SHAPES), rng.choice(lx.GEMS), rng.choice(lx.WEATHER_WORDS), rng.choice(lx.SPACE_FACTS)
    sides = int(shape[2])
    return rng.choice([
        (f"{cap(en_a(shape[0]))} has {EN_NUMBER_WORDS[sides]} sides.", f"{shape[1]}有{zh_count(sides)}条边。") if sides else
        (f"{cap(en_a(shape[0]))} has no corners.", f"{shape[1]}没有角。"),
        (f"{cap(en_a(noun(gem[0])[0]))} is {gem[2]}.", f"{gem[1]}是{ZH_COLOUR[gem[2]]}的。"),
        space,
        (f"In Chinese, “{noun(w[0])[0]}” is “{w[1]}”.", f"“{w[1]}”的英文是 {noun(w[0])[0]}。")])


en_science, zh_science = fact_makers(_science_fact)


def _pair(rng, things, key):
    """Two things whose `key` differs, smaller first."""
    while True:
        a, b = rng.sample(things, 2)
        if key(a) != key(b):
            return sorted([a, b], key=key)


def _compare_fact(rng):
    """Two people, towns or products compared, with the numbers that decide it."""
    kind = rng.choice(["age", "people", "grams", "price"])
    if kind == "age":
        a, b = _pair(rng, en_people(), lambda p: p.age)
        en = f"{b.en}, who is {b.age}, is %s {a.en}, who is {a.age}."
        zh = f"{b.zh}今年{b.age}岁，{a.zh}今年{a.age}岁，"
        return rng.choice([(en % "older than", zh + f"{b.zh}比{a.zh}年纪大。"),
                           (en % f"{b.age - a.age} years older than", zh + f"{b.zh}比{a.zh}大{b.age - a.age}岁。")])
    if kind == "people":
        a, b = _pair(rng, WORLD.towns, lambda t: t.people)
        return (f"{b.en}, with about {b.people:,} people, is larger than {a.en}, with about {a.people:,}.",
                f"{b.zh}大约有{b.people}人，{a.zh}大约有{a.people}人，{b.zh}的人口比{a.zh}多。")
    a, b = _pair(rng, WORLD.products, lambda x: getattr(x, kind))
    if kind == "grams":
        return (f"The {a.name} weighs {a.grams} grams and the {b.name} {b.grams}, so the {a.name} is lighter.",
                f"{a.name}重{a.grams}克，{b.name}重{b.grams}克，{a.name}比{b.name}轻。")
    return (f"The {a.name} costs {a.price} dollars and the {b.name} {b.price}, so the {a.name} is cheaper.",
            f"{a.name}售价{a.price}元，{b.name}售价{b.price}元，{a.name}比{b.name}便宜。")


en_compare, zh_compare = fact_makers(_compare_fact)


# --- dense lists: what is where ---------------------------------------------------------

# kind of thing -> where the things are (English, Chinese) and what to call them all
INVENTORY = {"o": ("In {name}'s {room} there", "{name}家的{room}里有", "things", "样东西"),
             "c": ("In {name}'s wardrobe there", "{name}的衣柜里有", "clothes", "件衣物"),
             "f": ("On {name}'s shopping list there", "{name}的购物清单上有", "things to buy", "样东西"),
             "a": ("At the zoo in {town} there", "{town}的动物园里有", "animals", "只动物")}


def _inventory(rng):
    """A person, where, and 3-5 countable things with how many of each (the total is their sum)."""
    kind = rng.choice(["o", "o", "c", "f", "a"])
    things = rng.sample([t for t in THINGS[kind] if noun(t[0])[2]], rng.randint(3, 5))
    return kind, rng.choice(WORLD.people), rng.choice(lx.ROOMS), [(t, rng.randint(1, 6)) for t in things]


def en_inventory(rng):
    kind, p, room, items = _inventory(rng)
    p = p if p.en else rng.choice(en_people())
    where, _, what, _ = INVENTORY[kind]
    listed = [en_a(noun(t[0])[0]) if n == 1 else f"{EN_NUMBER_WORDS[n]} {noun(t[0])[1]}" for t, n in items]
    verb = "is" if items[0][1] == 1 else "are"
    return (f"{where.format(name=p.en, room=noun(room[0])[0], town=p.town.en)} {verb} {', '.join(listed[:-1])} and {listed[-1]}. "
            f"That is {sum(n for _, n in items)} {what} in all.")


def zh_inventory(rng):
    kind, p, room, items = _inventory(rng)
    _, where, _, what = INVENTORY[kind]
    listed = [f"{zh_count(n)}{t[2]}{t[1]}" for t, n in items]
    return (f"{where.format(name=p.zh, room=room[1], town=p.town.zh)}{'、'.join(listed[:-1])}和{listed[-1]}，"
            f"一共{zh_number(sum(n for _, n in items))}{what}。")


# --- an encyclopedia of real facts ----------------------------------------------------------

def _province(name):
    return next(p for p in lx.PROVINCES if p[0] == name)


def _encyclopedia_fact(rng):
    e, c, d, m = rng.choice(lx.ELEMENTS), rng.choice(lx.CHINA_CITIES), rng.choice(lx.DINOSAURS), rng.choice(lx.LANDMARKS)
    k = rng.choice(lx.MORE_CAPITALS + lx.EVEN_MORE_CAPITALS)
    return rng.choice([
        (f"{cap(e[0])} is element number {e[3]}, and its symbol is {e[2]}.",
         f"{e[1]}是第{zh_number(int(e[3]))}号元素，元素符号是 {e[2]}。"),
        (f"The chemical symbol for {e[0]} is {e[2]}.", f"{e[1]}的元素符号是 {e[2]}。"),
        (f"{c[0]} is a city in {c[2]} province.", f"{c[1]}是{_province(c[2])[1]}省的一座城市。"),
        (f"The {d[0]} was a dinosaur that ate {d[2]}.", f"{d[1]}是一种{'吃植物' if d[2] == 'plants' else '吃肉'}的恐龙。"),
        (f"{cap(m[0])} is in {m[2]}.", f"{m[1]}在{m[3]}。"),
        (f"The capital of {k[0]} is {k[2]}.", f"{k[1]}的首都是{k[3]}。")])


en_encyclopedia, zh_encyclopedia = fact_makers(_encyclopedia_fact)


# --- language lessons ------------------------------------------------------------------------

def en_lesson(rng):
    def fact():
        o, syn, ba = rng.choice(lx.OPPOSITES), rng.choice(lx.EN_SYNONYMS), rng.choice(lx.BRITISH_AMERICAN)
        f = lx.word_family(rng.choice(lx.WORD_FAMILY))
        forms = f"The comparative of “{f['word']}” is “{f['er']}”, and the superlative is “{f['est']}”."
        if "ly" in f:
            forms += f" The adverb is “{f['ly']}”."
        if "ness" in f:
            forms += f" The noun is “{f['ness']}”."
        if f["word"] in lx.UN_ADJECTIVES:
            forms += f" The opposite is “un{f['word']}”."
        return rng.choice([f"The opposite of “{o[0]}” is “{o[1]}”.", f"“{cap(syn[0])}” means almost the same as “{syn[1]}”.",
                           f"In British English you say “{ba[0]}”; in American English you say “{ba[1]}”.", forms,
                           f"In Chinese, “{o[0]}” is “{o[2]}” and “{o[1]}” is “{o[3]}”."])
    return " ".join(distinct(rng, 2, 4, fact))


def zh_lesson(rng):
    def fact():
        o, syn = rng.choice(lx.OPPOSITES), rng.choice(lx.ZH_SYNONYMS)
        return rng.choice([f"“{o[2]}”的反义词是“{o[3]}”。", f"“{syn[0]}”的近义词是“{syn[1]}”。",
                           f"“{syn[1]}”和“{syn[0]}”意思差不多。",
                           f"英语单词 {o[0]} 的意思是“{o[2]}”，它的反义词是 {o[1]}，意思是“{o[3]}”。"])
    return "".join(distinct(rng, 2, 4, fact))


# --- newcomers: someone the world does not know, named again sentences later ---------------
#
# Most paragraphs name their person once; this kind names a person nobody else in the corpus
# is (a pairing of the world's name syllables that no world person has, or a fresh Chinese
# name), says d things about them with pronouns only, then writes the name again, once to
# three times. Predicting that name is possible only by finding it far back in the context
# and copying it: the skill `minisora compare` measures with its held-out recall probe (the
# section at the end, whose English names come from this same pool: a name the model has
# read, but only ever about somebody new, so only the context says who is meant), and a reason
# for a model's loss to fall with a longer prompt.


@functools.cache  # drawn once, when the first newcomer is written (``_unused`` is defined below)
def newcomer_names() -> dict[str, list[str]]:
    world = [p.en.split()[0] for p in en_people()]
    out = {}
    for g, ends in (("f", lx.NAME_ENDS_F), ("m", lx.NAME_ENDS_M)):
        out[g] = _unused([a[0] + b[0] for a in lx.NAME_STARTS for b in ends], world, {})
    return out



def _newcomer(rng, lang: str, opening: list[str], filler: list[str], again: list[str]) -> str:
    """The opening sentence, then the filler with 1–3 sentences that name the person again
    placed among it, at 0 to 8 sentences from the opening and from each other."""
    body = filler[: rng.randint(2, len(filler))]
    for sentence in rng.sample(again, rng.randint(1, 3)):
        body.insert(rng.randint(0, len(body)), sentence)
    return (" " if lang == "en" else "").join([rng.choice(opening), *body])


def en_newcomer(rng):
    g = rng.choice("fm")
    name, family = rng.choice(newcomer_names()[g]), rng.choice(en_people()).en.split()[1]
    x = _probe_person(rng)
    he, him, his = EN_PRONOUNS[g]
    job, town, years = noun(x["job"][0])[0], x["town"].en, rng.randint(2, 15)
    opening = [f"{name} {family} is {en_a(job)} from {town}.", f"{name} {family} works as {en_a(job)} in {town}.",
               f"A new {job} has come to {town}: {his} name is {name} {family}."]
    trait = rng.choice(lx.TRAITS)[0]
    again = [f"In {his} free time {name} enjoys {x['hobby'][0]}.", f"Everyone in {town} knows {name}.",
             f"{name} has lived in {town} for {years} years.", f"{name} is very {trait}.",
             f"{name} {en_deed(SimpleNamespace(gender=g), _deed(rng))}.",
             f"{name} often {lx.verb_forms(rng.choice(lx.ACTIVITIES)[0])['s']} with {his} friends."]
    return _newcomer(rng, "en", opening, _en_filler(rng, x, g), again)


def zh_newcomer(rng):
    g = rng.choice("fm")
    name = rng.choice(lx.ZH_SURNAMES) + "".join(rng.sample(lx.ZH_GIVEN_M if g == "m" else lx.ZH_GIVEN_F, 2))
    x = _probe_person(rng)
    job, town, years = x["job"][1], x["town"].zh, rng.randint(2, 15)
    opening = [f"{name}是{town}的一名{job}。", f"{name}在{town}当{job}。", f"{town}来了一位新的{job}，名叫{name}。"]
    trait = rng.choice(lx.TRAITS)[1]
    again = [f"空闲的时候，{name}喜欢{x['hobby'][1]}。", f"{town}的人都认识{name}。",
             f"{name}在{town}住了{zh_number(years)}年了。", f"{name}很{trait}。",
             f"{name}{zh_deed(SimpleNamespace(gender=g), _deed(rng))}。",
             f"{name}常常和朋友一起{rng.choice(lx.ACTIVITIES)[1]}。"]
    return _newcomer(rng, "zh", opening, _zh_filler(rng, x, g), again)


# (weight, English maker, Chinese maker); the service makers also take the held-out questions.
KINDS = [
    (6, en_story, zh_story), (4, en_shopping, zh_shopping), (14, en_arithmetic, zh_arithmetic),
    (8, en_calendar, zh_calendar), (4, en_weather, zh_weather), (6, en_service, zh_service),
    (5, en_ml, zh_ml), (5, en_facts, zh_facts), (4, en_study, zh_study), (4, en_schedule, zh_schedule),
    (10, en_town, zh_town), (8, en_travel, zh_travel), (12, en_profile, zh_profile), (32, en_diary, zh_diary),
    (10, en_animal, zh_animal), (8, en_garden, zh_garden), (16, en_words, zh_words), (8, en_recipe, zh_recipe),
    (8, en_product, zh_product), (6, en_idioms, zh_idioms), (6, en_geography, zh_geography),
    (5, en_health, zh_health), (4, en_festival, zh_festival), (4, en_science, zh_science), (5, en_compare, zh_compare),
    (26, en_inventory, zh_inventory), (10, en_encyclopedia, zh_encyclopedia),
    (10, en_lesson, zh_lesson), (24, en_newcomer, zh_newcomer),
]


def make_corpus(rng: random.Random, held_out: list[str]) -> str:
    held = dict.fromkeys(held_out)  # a dict for O(1) membership with a fixed order
    weights = [k[0] for k in KINDS]
    paragraphs, size = [], 0
    while size < CORPUS_BYTES:
        kind = rng.choices(KINDS, weights)[0]
        lang = "en" if rng.random() < EN_SHARE else "zh"
        make = kind[1] if lang == "en" else kind[2]
        p = make(rng, held) if make in (en_service, zh_service) else make(rng)
        paragraphs.append(p)
        size += len(p.encode("utf-8")) + 2
    return "\n\n".join(paragraphs) + "\n"


# =====================================================================================
# A probe for `minisora compare` (data/probes/recall.jsonl), never part of the corpus.
#
# Can a model recall a fact stated far back? Each group is one paragraph, never in the corpus,
# about a person nobody in the world is: in English a name of the newcomer pool (read in
# training, but only ever about somebody new, never with a fact of its own), in Chinese a name
# the corpus never writes; either way the name can only come from the context. The
# context is the profile's opening sentence (the fact: who this is), d filler sentences about
# the same person from the profile and diary kinds (pronouns only, no name), and the point
# where the corpus always writes the first name again ("In her free time Corora enjoys …";
# in Chinese a new sentence that starts with the name, as "{name}今年34岁。" does). A group
# has four names of one gender, one fact template, one filler: its four items differ only in
# the name, so a model that ignores the context scores exactly the chance 1/4.
# =====================================================================================

RECALL_GROUPS = 12  # per language
RECALL_NAMES = 4  # candidates per group
RECALL_FILLER = 8  # filler sentences per group: the longest distance d


def _unused(names, taken, written) -> list[str]:
    """``names`` in order, each once, without those in ``taken`` (the world's) or ``written``
    (the corpus's words, lower case: "Melon" is out)."""
    out = []
    for n in names:
        if n not in out and n not in taken and n.lower() not in written:
            out.append(n)
    return out


def _probe_person(rng) -> dict:
    """What one group's filler says about its person (the rows make_world draws for a person)."""
    age = rng.randint(19, 70)
    return {"job": rng.choice(lx.PROFESSIONS), "hobby": rng.choice(lx.HOBBIES), "sport": rng.choice(lx.SPORTS),
            "instrument": rng.choice(lx.INSTRUMENTS), "since": rng.randint(5, min(age, 40)),
            "colour": rng.choice(lx.COLOURS), "food": rng.choice(lx.DISHES), "pet": rng.choice(PETS),
            "relative": rng.choice(lx.RELATIVES), "relative_job": rng.choice(lx.PROFESSIONS),
            "town": rng.choice(WORLD.towns)}


def _en_filler(rng, x: dict, g: str) -> list[str]:
    he, _him, his = EN_PRONOUNS[g]
    who = SimpleNamespace(gender=g)  # en_deed reads only the gender
    act = rng.choice(lx.ACTIVITIES)
    job, relative_job = (noun(x[k][0])[0] for k in ("job", "relative_job"))  # "postman/postmen" -> "postman"
    pool = [f"As {en_a(job)}, {he} {x['job'][2]}.", f"{cap(he)} is good at {x['sport'][0]}.",
            f"{cap(he)} has played the {x['instrument'][0]} since {he} was {x['since']}.",
            f"{cap(his)} favourite colour is {x['colour'][0]}, and {his} favourite food is {x['food'][0]}.",
            f"{cap(he)} keeps {en_a(noun(x['pet'][0])[0])} as a pet.",
            f"{cap(his)} {noun(x['relative'][0])[0]} is {en_a(relative_job)}.",
            f"{cap(he)} often {lx.verb_forms(act[0])['s']} with {his} {noun(rng.choice(lx.RELATIVES)[0])[0]}."]
    pool += [f"{rng.choice(['Then', 'After that,', 'Later', 'Next'])} {he} {en_deed(who, _deed(rng))}." for _ in range(3)]
    rng.shuffle(pool)
    return pool[:RECALL_FILLER]


def _zh_filler(rng, x: dict, g: str) -> list[str]:
    ta = ZH_PRONOUNS[g]
    who = SimpleNamespace(gender=g)  # zh_deed reads only the gender
    pool = [f"作为{x['job'][1]}，{ta}每天{x['job'][3]}。", f"空闲的时候，{ta}喜欢{x['hobby'][1]}。",
            f"{ta}很擅长{x['sport'][1]}。", f"{ta}从{x['since']}岁起就开始{x['instrument'][2]}{x['instrument'][1]}。",
            f"{ta}最喜欢的颜色是{x['colour'][1]}，最喜欢的食物是{x['food'][1]}。",
            f"{ta}养了一{x['pet'][5]}{x['pet'][1]}。", f"{ta}的{x['relative'][1]}是{x['relative_job'][1]}。",
            f"{ta}常常和{rng.choice(lx.RELATIVES)[1]}一起{rng.choice(lx.ACTIVITIES)[1]}。"]
    pool += [f"{rng.choice(['然后', '接着', '后来', '过了一会儿'])}，{ta}{zh_deed(who, _deed(rng))}。" for _ in range(2)]
    rng.shuffle(pool)
    return pool[:RECALL_FILLER]


def _zh_unused_names(rng, g: str, k: int, taken, corpus: str) -> list[str]:
    """k three-character names (surname + two given characters) that neither the world nor the corpus has."""
    chars = lx.ZH_GIVEN_M if g == "m" else lx.ZH_GIVEN_F
    out: list[str] = []
    while len(out) < k:
        a, b = rng.sample(chars, 2)
        name = rng.choice(lx.ZH_SURNAMES) + a + b
        if name not in out and name not in taken and name not in corpus:
            out.append(name)
    return out


def _apart(names, text: str) -> bool:
    """No name inside another ("Hara" in "Harara") or in the rest of the group's text."""
    return not any(a in b for a in names for b in names if a != b) and not any(a in text for a in names)


def _newcomers_only(name: str, paragraphs: list[str]) -> bool:
    """Whether the corpus writes ``name``, and only as the name of a newcomer it introduces."""
    about = [p for p in paragraphs if name in p and re.search(rf"\b{name}\b", p)]
    opening = re.compile(rf"({name} [A-Z]\w+ (is|works as) an? |A new [^:]+: (his|her) name is {name} )")
    return bool(about) and all(opening.match(p) for p in about)


def make_recall_probe(rng: random.Random, corpus: str) -> list[dict]:
    """RECALL_GROUPS groups per language of RECALL_NAMES held-out names (see the section above)."""
    written = dict.fromkeys(re.findall(r"[a-z']+", corpus.lower()))  # a dict for O(1) membership
    paragraphs = corpus.split("\n\n")
    given = {g: [n for n in names if _newcomers_only(n, paragraphs)] for g, names in newcomer_names().items()}
    family = _unused([a[0] + b[0] for a in lx.SURNAME_STARTS for b in lx.SURNAME_ENDS],
                     [p.en.split()[1] for p in en_people()], written)
    zh_taken = [p.zh for p in WORLD.people]
    groups = []
    for lang in ("en", "zh"):
        for i in range(RECALL_GROUPS):
            g = "fm"[i % 2]
            x = _probe_person(rng)
            if lang == "en":
                fact = f"{{name}} {rng.choice(family)} is {en_a(noun(x['job'][0])[0])} from {x['town'].en}."
                filler, query = _en_filler(rng, x, g), f"In {EN_PRONOUNS[g][2]} free time"
                names = rng.sample(given[g], RECALL_NAMES)
                while not _apart(names, " ".join([fact, *filler, query])):
                    names = rng.sample(given[g], RECALL_NAMES)
                for n in names:  # each name once in the whole probe
                    given[g].remove(n)
                candidates = [" " + n for n in names]
            else:
                fact = f"{{name}}是{x['town'].zh}的一名{x['job'][1]}。"
                filler, query = _zh_filler(rng, x, g), ""
                names = _zh_unused_names(rng, g, RECALL_NAMES, zh_taken, corpus)
                while not _apart(names, "".join([fact, *filler])):
                    names = _zh_unused_names(rng, g, RECALL_NAMES, zh_taken, corpus)
                zh_taken += names
                candidates = list(names)
            groups.append({"group": len(groups), "lang": lang, "gender": g, "fact": fact, "names": names,
                           "filler": filler, "query": query, "candidates": candidates})
    return groups



# =====================================================================================
# Files
# =====================================================================================

def generate() -> dict[str, bytes]:
    """All output files, as {relative path: bytes}."""
    splits = make_dialogues(random.Random(SEED))
    held_out = [r["question"] for s in ("validation", "test") for r in splits[s]]
    corpus = make_corpus(random.Random(SEED + 1), held_out)
    out = {"corpus.txt": corpus.encode("utf-8")}
    for name, rows in splits.items():
        out[f"dialogues/{name}.jsonl"] = jsonl(rows)
    out["probes/recall.jsonl"] = jsonl(make_recall_probe(random.Random(SEED + 3), corpus))
    return out


def jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def sha256sums(files: dict[str, bytes]) -> bytes:
    return "".join(f"{hashlib.sha256(files[p]).hexdigest()}  {p}\n" for p in FILES).encode()


def check(data_dir: Path) -> int:
    """Regenerate in memory; compare with SHA256SUMS and with the files on disk."""
    files = generate()
    want = data_dir / "SHA256SUMS"
    if not want.is_file():
        print(f"{want} is missing; run `python data/generate.py` first.", file=sys.stderr)
        return 1
    problems = []
    if sha256sums(files) != want.read_bytes():
        problems.append("the regenerated files do not match SHA256SUMS (the generator changed?)")
    for p in FILES:
        disk = data_dir / p
        if not disk.is_file() or disk.read_bytes() != files[p]:
            problems.append(f"{p} on disk differs from the regenerated file")
    for msg in problems:
        print(msg, file=sys.stderr)
    if not problems:
        print(f"OK: {len(FILES)} files regenerate byte for byte and match {want}.")
    return 1 if problems else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="regenerate in memory and verify against SHA256SUMS")
    ap.add_argument("--out", type=Path, default=HERE, metavar="DIR", help="output directory (default: data/)")
    args = ap.parse_args(argv)
    if args.check:
        return check(args.out)
    files = generate()
    files["SHA256SUMS"] = sha256sums(files)
    for p, b in files.items():
        (args.out / p).parent.mkdir(parents=True, exist_ok=True)
        (args.out / p).write_bytes(b)
        print(f"{len(b):>9,} bytes  {args.out / p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
